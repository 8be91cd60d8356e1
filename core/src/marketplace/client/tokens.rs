//! Access tokens: one per app, cached in this process and, with a fleet, shared through Redis so one
//! process at a time asks the marketplace.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::{AppCredentials, CachedToken, TOKEN_RENEW_MARGIN, TokopediaClient};
use crate::marketplace::{MarketplaceError, coordination::Coordination, types::TokenResponse};
use crate::monitoring;

impl TokopediaClient {
    /// The app's cached token, fetched when missing or about to expire.
    pub(super) async fn token(&self, app: &AppCredentials) -> Result<SecretString, MarketplaceError> {
        // Holding the lock across the fetch keeps two tasks of this process from asking at once.
        let mut tokens = self.tokens.lock().await;
        if let Some(cached) = tokens.get(&app.client_id).filter(|t| t.renew_at > Instant::now()) {
            return Ok(cached.token.clone());
        }
        let (token, lifetime) = match &self.coordination {
            Some(coordination) => self.fleet_token(coordination, app).await?,
            None => {
                let fresh = self.request_token(app).await?;
                (
                    fresh.access_token,
                    Duration::from_secs(fresh.expires_in).saturating_sub(TOKEN_RENEW_MARGIN),
                )
            }
        };
        tokens.insert(
            app.client_id.clone(),
            CachedToken {
                token: token.clone(),
                renew_at: Instant::now() + lifetime,
            },
        );
        Ok(token)
    }

    /// The app's token from the fleet cache. One process at a time (a Redis lock) asks the marketplace;
    /// the others wait for it to share the answer, so two workers never request one app's token at once.
    async fn fleet_token(
        &self,
        coordination: &Coordination,
        app: &AppCredentials,
    ) -> Result<(SecretString, Duration), MarketplaceError> {
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        for _ in 0..100 {
            match coordination.cached_token(&app.client_id).await {
                Ok(Some(shared)) => return Ok(shared),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error.message = %e, "fleet token cache unavailable; asking the marketplace");
                    break;
                }
            }
            match coordination.lock_token_refresh(&app.client_id, &holder).await {
                Ok(true) => {
                    let fetched = self.request_token(app).await;
                    let shared = match &fetched {
                        Ok(fresh) => {
                            let lifetime = Duration::from_secs(fresh.expires_in).saturating_sub(TOKEN_RENEW_MARGIN);
                            coordination
                                .store_token(&app.client_id, &fresh.access_token, lifetime)
                                .await
                                .map(|()| lifetime)
                        }
                        Err(_) => Ok(Duration::ZERO),
                    };
                    let _ = coordination.unlock_token_refresh(&app.client_id).await;
                    let fresh = fetched?;
                    let lifetime = shared.unwrap_or_else(|e| {
                        tracing::warn!(error.message = %e, "could not share the new token");
                        Duration::from_secs(fresh.expires_in).saturating_sub(TOKEN_RENEW_MARGIN)
                    });
                    return Ok((fresh.access_token, lifetime));
                }
                Ok(false) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => {
                    tracing::warn!(error.message = %e, "fleet token lock unavailable; asking the marketplace");
                    break;
                }
            }
        }
        let fresh = self.request_token(app).await?;
        Ok((
            fresh.access_token,
            Duration::from_secs(fresh.expires_in).saturating_sub(TOKEN_RENEW_MARGIN),
        ))
    }

    /// `POST /token?grant_type=client_credentials` with HTTP Basic credentials.
    pub async fn request_token(&self, app: &AppCredentials) -> Result<TokenResponse, MarketplaceError> {
        let result = self.fetch_token(app).await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!(monitoring::TOKEN_REFRESHES, "result" => outcome).increment(1);
        result
    }

    async fn fetch_token(&self, app: &AppCredentials) -> Result<TokenResponse, MarketplaceError> {
        let basic = STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret.expose_secret()));
        let response = self
            .http
            .post(&self.auth_url)
            .query(&[("grant_type", "client_credentials")])
            .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN {
            return Err(MarketplaceError::InvalidCredentials);
        }
        if !status.is_success() {
            return Err(MarketplaceError::Http {
                status: status.as_u16(),
            });
        }
        response
            .json()
            .await
            .map_err(|e| MarketplaceError::Decode(format!("token answer: {e}")))
    }
}
