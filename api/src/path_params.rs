//! Path parameters are checked once, for every route, before any handler reads them: a parameter that is
//! not UTF-8 once percent-decoded, or that holds U+0000 (which Postgres can neither store nor compare), is
//! refused naming the parameter. The API answers in its JSON envelope; the console wraps [`check`] to
//! answer with a page.

use axum::{
    extract::{FromRequestParts, RawPathParams, Request, rejection::RawPathParamsRejection},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    error::{ApiError, FieldError},
    validation::NUL_REASON,
};

/// The request back when its path parameters are fine, or what is wrong with the first bad one.
pub async fn check(request: Request) -> Result<Request, FieldError> {
    let (mut parts, body) = request.into_parts();
    // Reading the raw parameters needs no state and leaves them for the handler.
    let problem = match RawPathParams::from_request_parts(&mut parts, &()).await {
        Ok(params) => params
            .iter()
            .find(|(_, value)| value.contains('\0'))
            .map(|(name, _)| FieldError::new(name, NUL_REASON)),
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(e)) => {
            // axum names the parameter only in its text: "Invalid UTF-8 in `<name>`".
            let text = e.body_text();
            let name = text.split('`').nth(1).unwrap_or("path");
            Some(FieldError::new(name, "must be valid UTF-8 once percent-decoded"))
        }
        // No parameters on this route: nothing to check.
        Err(_) => None,
    };
    match problem {
        Some(problem) => Err(problem),
        None => Ok(Request::from_parts(parts, body)),
    }
}

/// Route layer of the API: a bad parameter is a 422 naming it.
pub async fn reject_bad_params(request: Request, next: Next) -> Response {
    match check(request).await {
        Ok(request) => next.run(request).await,
        Err(problem) => ApiError::Validation(vec![problem]).into_response(),
    }
}
