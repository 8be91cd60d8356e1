//! The web console: sessions, CSRF and roles over plain HTTP, and the screens in headless Chromium.

mod browser;
mod pages;
mod sessions;

use reqwest::{StatusCode, header};

use crate::helpers::TestApp;

pub const CONSOLE_ACCOUNTS: &str = "/integrations/tokopedia/accounts";

/// A signed-in console session driven over HTTP, as a browser would (cookie and form fields by hand).
pub struct ConsoleClient {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: String,
}

impl ConsoleClient {
    /// Signs in with `token`; panics if the console refuses it.
    pub async fn sign_in(api: &TestApp, token: &str) -> Self {
        let http = no_redirects();
        let response = http
            .post(format!("{}/sign-in", api.url))
            .form(&[("token", token), ("next", "/integrations")])
            .send()
            .await
            .expect("console reachable");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in accepted");
        let set_cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Self {
            base: api.url.clone(),
            http,
            cookie,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("console reachable");
        (response.status(), response.text().await.expect("page body"))
    }

    /// The CSRF token the console's forms carry for this session.
    pub async fn csrf(&self) -> String {
        let (status, page) = self.get("/integrations").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        csrf_in(&page).expect("a form with a CSRF field")
    }

    /// POSTs a form with this session's cookie (fields as given: add `_csrf` yourself).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("console reachable");
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = response.text().await.expect("answer body");
        (status, location.unwrap_or(body))
    }
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn csrf_in(page: &str) -> Option<String> {
    let start = page.find(r#"name="_csrf" value=""#)? + r#"name="_csrf" value=""#.len();
    Some(page[start..].split('"').next()?.to_owned())
}
