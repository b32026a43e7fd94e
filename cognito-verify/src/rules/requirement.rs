//! A requirement on a set of names (scopes or groups): any of them, or all of them.

/// A requirement that a token carry any of, or all of, some scopes or groups.
///
/// An empty requirement is never met (fail closed); the builder refuses one outright.
///
/// ```
/// use cognito_verify::Requirement;
///
/// let read_or_write = Requirement::any_of(["orders/read", "orders/write"]);
/// assert!(read_or_write.is_met_by(["openid", "orders/read"]));
/// assert!(!Requirement::all_of(["a", "b"]).is_met_by(["a"]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    all: bool,
    names: Vec<String>,
}

impl Requirement {
    /// Met when at least one of `names` is present.
    pub fn any_of<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Requirement {
            all: false,
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// Met when every one of `names` is present.
    pub fn all_of<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Requirement {
            all: true,
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// The required names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether every name is required (`all_of`) rather than any one (`any_of`).
    pub fn requires_all(&self) -> bool {
        self.all
    }

    /// Whether the names present satisfy the requirement. Comparison is exact (case-sensitive).
    pub fn is_met_by<'a, I>(&self, present: I) -> bool
    where
        I: IntoIterator<Item = &'a str> + Clone,
    {
        if self.is_empty() {
            return false;
        }
        let has = |name: &String| present.clone().into_iter().any(|p| p == name);
        if self.all {
            self.names.iter().all(has)
        } else {
            self.names.iter().any(has)
        }
    }

    /// Whether the requirement lists nothing or an empty name (never met).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() || self.names.iter().any(String::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_and_all() {
        let any = Requirement::any_of(["a", "b"]);
        assert!(any.is_met_by(["b"]));
        assert!(!any.is_met_by(["c"]));
        assert!(!any.is_met_by([]));
        let all = Requirement::all_of(["a", "b"]);
        assert!(all.is_met_by(["b", "x", "a"]));
        assert!(!all.is_met_by(["a"]));
    }

    #[test]
    fn empty_is_never_met_and_matching_is_exact() {
        assert!(!Requirement::all_of(Vec::<String>::new()).is_met_by(["a"]));
        assert!(!Requirement::any_of([""]).is_met_by([""]));
        assert!(!Requirement::any_of(["Admin"]).is_met_by(["admin"]));
        assert!(!Requirement::any_of(["orders/read"]).is_met_by(["orders/read/extra"]));
    }
}
