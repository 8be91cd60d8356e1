//! URL-encoded form bodies as ordered pairs: checkbox groups repeat a name, which plain serde forms do
//! not collect.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};

use super::ConsoleError;
use crate::AppState;

/// Forms are small; anything larger is not from our pages.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

impl FromRequest<AppState> for FormData {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ConsoleError::BadForm)?;
        if bytes.len() > MAX_FORM_BYTES {
            return Err(ConsoleError::BadForm);
        }
        Ok(Self::parse(&bytes))
    }
}
