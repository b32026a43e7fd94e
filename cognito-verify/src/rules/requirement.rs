//! A requirement on a set of names (scopes or groups): any of them, or all of them, and which
//! kinds of token may meet it.

use crate::error::Error;
use crate::rules::token_use::{ActualUse, TokenUse};

/// A requirement that a token carry any of, or all of, some scopes or groups.
///
/// An empty requirement is never met (fail closed); the builder refuses one outright.
///
/// A requirement is for APIs, so only **access tokens** meet it: an id token is refused with
/// [`Error::InvalidTokenUse`] (401 `invalid_token`), not 403, even when it carries the group.
/// Id tokens are for the client that signed the user in (their audience is that client, and they
/// are handed to third parties); allow them for one requirement with
/// [`allow_id_tokens`](Self::allow_id_tokens).
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
    id_tokens: bool,
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
            id_tokens: false,
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
            id_tokens: false,
        }
    }

    /// Lets id tokens meet this requirement too (by default only access tokens do). Id tokens
    /// carry groups but never scopes.
    ///
    /// ```
    /// use cognito_verify::Requirement;
    /// let staff = Requirement::any_of(["staff"]).allow_id_tokens();
    /// assert!(staff.allows_id_tokens());
    /// assert!(!Requirement::any_of(["staff"]).allows_id_tokens());
    /// ```
    #[must_use]
    pub fn allow_id_tokens(mut self) -> Self {
        self.id_tokens = true;
        self
    }

    /// Whether id tokens may meet this requirement.
    pub fn allows_id_tokens(&self) -> bool {
        self.id_tokens
    }

    /// [`Error::InvalidTokenUse`] when a token of this use may not meet the requirement.
    pub(crate) fn check_use(&self, actual: ActualUse) -> Result<(), Error> {
        match (actual, self.id_tokens) {
            (ActualUse::Id, false) => Err(Error::InvalidTokenUse {
                expected: TokenUse::Access,
            }),
            _ => Ok(()),
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
