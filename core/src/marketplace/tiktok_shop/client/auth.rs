//! The shop's consent, turned into tokens, and the shops it covers.
//!
//! The token endpoints live on their own host, are not signed, and take the app secret in the query:
//! their URL is built here and never leaves this file (errors carry the path only). Neither call is
//! retried: the auth code is single-use, and a refresh may rotate the refresh token, so repeating a
//! request whose answer was lost could spend a credential for nothing; the caller decides.

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use super::{ApiCall, ApiEndpoint, TikTokShopClient, join};
use crate::marketplace::tiktok_shop::envelope::decode;
use crate::marketplace::tiktok_shop::error::TikTokShopError;
use crate::marketplace::tiktok_shop::types::{AuthorizedShop, AuthorizedShops, TokenGrant};

pub(super) const TOKEN_GET: &str = "/api/v2/token/get";
pub(super) const TOKEN_REFRESH: &str = "/api/v2/token/refresh";
pub(super) const AUTHORIZED_SHOPS: &str = "/authorization/202309/shops";

impl TikTokShopClient {
    /// Exchanges the code of the consent callback (single use, valid about 30 minutes) for the shop's
    /// tokens: `grant_type=authorized_code`.
    #[tracing::instrument(name = "tiktok_shop.exchange_code", skip_all)]
    pub async fn exchange_code(&self, auth_code: &SecretString) -> Result<TokenGrant, TikTokShopError> {
        let url = self.token_url(TOKEN_GET, ("auth_code", auth_code), "authorized_code")?;
        self.token_call(url, TOKEN_GET).await
    }

    /// New tokens for a shop before its access token expires. Store both answered tokens in one write:
    /// the refresh token may have been rotated.
    #[tracing::instrument(name = "tiktok_shop.refresh_token", skip_all)]
    pub async fn refresh_token(&self, refresh_token: &SecretString) -> Result<TokenGrant, TikTokShopError> {
        let url = self.token_url(TOKEN_REFRESH, ("refresh_token", refresh_token), "refresh_token")?;
        self.token_call(url, TOKEN_REFRESH).await
    }

    /// The shops a consent covers, each with the `cipher` that later calls for it carry.
    pub async fn authorized_shops(&self, access_token: &SecretString) -> Result<Vec<AuthorizedShop>, TikTokShopError> {
        let call = ApiCall::get(ApiEndpoint::AuthorizedShops, AUTHORIZED_SHOPS);
        let shops: AuthorizedShops = self.call(&call, access_token, None, decode).await?;
        Ok(shops.shops)
    }

    pub(super) fn token_url(
        &self,
        path: &str,
        (grant_key, grant): (&str, &SecretString),
        grant_type: &str,
    ) -> Result<Url, TikTokShopError> {
        let mut url = join(&self.auth_base_url, path)?;
        url.query_pairs_mut()
            .append_pair("app_key", &self.app_key)
            .append_pair("app_secret", self.app_secret.expose_secret())
            .append_pair(grant_key, grant.expose_secret())
            .append_pair("grant_type", grant_type);
        Ok(url)
    }

    async fn token_call(&self, url: Url, path: &str) -> Result<TokenGrant, TikTokShopError> {
        let (status, retry_after, body) = self.send(self.http.get(url), path).await?;
        decode(status, &body).map_err(|e| e.with_retry_after(retry_after))
    }
}
