//! Authorization state: consent codes, grants and their tokens.
//!
//! A grant is one seller's consent to one app for some shops. Its access
//! tokens call the API for those shops; its refresh token mints new ones.
//! Codes are single use. Times are world-clock seconds and expiries are
//! absolute, as the token answer reports them.

use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;

/// The seller a consent comes from, as the token answer names them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seller {
    pub open_id: String,
    pub name: String,
    pub region: String,
}

/// One seller's consent to one app.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub app_key: String,
    pub seller: Seller,
    /// Shops consented to, in consent order.
    pub shops: Vec<u64>,
    /// Shops whose authorization the seller revoked since.
    pub revoked: BTreeSet<u64>,
    /// Shops whose calls lack a scope since it was withdrawn (105005); a new
    /// consent makes a new grant with every scope.
    pub scope_withdrawn: BTreeSet<u64>,
}

impl Grant {
    /// Consented shops not revoked since.
    pub fn live_shops(&self) -> impl Iterator<Item = u64> + '_ {
        self.shops.iter().copied().filter(|s| !self.revoked.contains(s))
    }

    pub fn is_live_for(&self, shop_id: u64) -> bool {
        self.shops.contains(&shop_id) && !self.revoked.contains(&shop_id)
    }
}

/// Token lifetimes and the refresh policy, in seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub access: i64,
    pub refresh: i64,
    pub code: i64,
    pub rotate_refresh: bool,
}

/// What a code exchange or refresh hands out.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub grant: usize,
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
}

/// Why a refresh is refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RefreshProblem {
    /// Unknown, retired, expired, or another app's.
    Invalid,
    /// The seller revoked every shop of the grant.
    Revoked,
}

#[derive(Debug)]
struct Code {
    app_key: String,
    seller: Seller,
    shops: Vec<u64>,
    expires_at: i64,
    used: bool,
}

#[derive(Debug, Clone, Copy)]
struct Expiring {
    grant: usize,
    expires_at: i64,
}

/// Every code, grant and token.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    access: HashMap<String, Expiring>,
    refresh: HashMap<String, Expiring>,
}

fn secret(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Auth {
    /// A fresh single-use code for the seller's consent to `shops`.
    pub fn issue_code(&mut self, app_key: &str, seller: Seller, shops: Vec<u64>, now: i64, life: Lifetimes) -> String {
        // Spent and expired codes only need to be told apart from unknown ones
        // for a while; both answer the same error, so they can go.
        self.codes.retain(|_, c| !c.used && c.expires_at > now);
        let code = secret("ROW_");
        self.codes.insert(
            code.clone(),
            Code {
                app_key: app_key.to_owned(),
                seller,
                shops,
                expires_at: now + life.code,
                used: false,
            },
        );
        code
    }

    /// Exchanges a live code of `app_key` for a new grant's tokens, spending the
    /// code. `None`: unknown, spent, expired or another app's code.
    pub fn exchange(&mut self, app_key: &str, code: &str, now: i64, life: Lifetimes) -> Option<Issued> {
        let entry = self.codes.get_mut(code).filter(|c| c.app_key == app_key)?;
        if entry.used || now >= entry.expires_at {
            return None;
        }
        entry.used = true;
        self.grants.push(Grant {
            app_key: app_key.to_owned(),
            seller: entry.seller.clone(),
            shops: entry.shops.clone(),
            revoked: BTreeSet::new(),
            scope_withdrawn: BTreeSet::new(),
        });
        let grant = self.grants.len() - 1;
        let (refresh_token, refresh_expires_at) = self.mint_refresh(grant, now, life);
        Some(self.mint_access(grant, refresh_token, refresh_expires_at, now, life))
    }

    /// A new access token for the grant of `refresh_token`; with rotation a
    /// new refresh token too, the old one retired. The access tokens already
    /// out stay valid until they expire.
    pub fn refresh(
        &mut self,
        app_key: &str,
        refresh_token: &str,
        now: i64,
        life: Lifetimes,
    ) -> Result<Issued, RefreshProblem> {
        let old = *self
            .refresh
            .get(refresh_token)
            .filter(|r| self.grants[r.grant].app_key == app_key && now < r.expires_at)
            .ok_or(RefreshProblem::Invalid)?;
        if self.grants[old.grant].live_shops().next().is_none() {
            return Err(RefreshProblem::Revoked);
        }
        let (token, expires_at) = if life.rotate_refresh {
            self.refresh.remove(refresh_token);
            self.mint_refresh(old.grant, now, life)
        } else {
            (refresh_token.to_owned(), old.expires_at)
        };
        Ok(self.mint_access(old.grant, token, expires_at, now, life))
    }

    fn mint_refresh(&mut self, grant: usize, now: i64, life: Lifetimes) -> (String, i64) {
        let token = secret("TTP_");
        let expires_at = now + life.refresh;
        self.refresh.insert(token.clone(), Expiring { grant, expires_at });
        (token, expires_at)
    }

    fn mint_access(
        &mut self,
        grant: usize,
        refresh_token: String,
        refresh_expires_at: i64,
        now: i64,
        life: Lifetimes,
    ) -> Issued {
        let access_token = secret("TTP_");
        let access_expires_at = now + life.access;
        self.access.insert(
            access_token.clone(),
            Expiring {
                grant,
                expires_at: access_expires_at,
            },
        );
        Issued {
            grant,
            access_token,
            access_expires_at,
            refresh_token,
            refresh_expires_at,
        }
    }

    /// The grant (index) of an access token of `app_key` and whether the
    /// token has expired. `None`: unknown token or another app's.
    pub fn access(&self, token: &str, app_key: &str, now: i64) -> Option<(usize, bool)> {
        let entry = self.access.get(token)?;
        (self.grants[entry.grant].app_key == app_key).then_some((entry.grant, now >= entry.expires_at))
    }

    pub fn grant(&self, index: usize) -> &Grant {
        &self.grants[index]
    }

    /// Revokes the shop in every grant (of `app_key` only, when given).
    /// Returns the app of each grant that lost it.
    pub fn revoke(&mut self, shop_id: u64, app_key: Option<&str>) -> Vec<String> {
        self.grants
            .iter_mut()
            .filter(|g| app_key.is_none_or(|k| g.app_key == k) && g.is_live_for(shop_id))
            .map(|g| {
                g.revoked.insert(shop_id);
                g.app_key.clone()
            })
            .collect()
    }

    /// Withdraws a scope the shop's endpoints need from every grant covering
    /// the shop (of `app_key` only, when given). Returns how many grants lost it.
    pub fn withdraw_scope(&mut self, shop_id: u64, app_key: Option<&str>) -> usize {
        let covering = self
            .grants
            .iter_mut()
            .filter(|g| app_key.is_none_or(|k| g.app_key == k) && g.shops.contains(&shop_id));
        covering
            .map(|g| g.scope_withdrawn.insert(shop_id))
            .filter(|&new| new)
            .count()
    }

    /// Makes access tokens (and refresh tokens too when `refresh`) of grants
    /// covering `shop_id` (every grant when `None`) expire at `now`. Returns
    /// how many tokens it touched.
    pub fn expire(&mut self, shop_id: Option<u64>, refresh: bool, now: i64) -> usize {
        let grants = &self.grants;
        let covers = |e: &Expiring| shop_id.is_none_or(|s| grants[e.grant].shops.contains(&s));
        let mut touched = 0;
        let maps = if refresh {
            vec![&mut self.access, &mut self.refresh]
        } else {
            vec![&mut self.access]
        };
        for map in maps {
            for entry in map.values_mut().filter(|e| covers(e) && e.expires_at > now) {
                entry.expires_at = now;
                touched += 1;
            }
        }
        touched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes = Lifetimes {
        access: 100,
        refresh: 1_000,
        code: 10,
        rotate_refresh: true,
    };

    fn seller() -> Seller {
        Seller {
            open_id: "1".into(),
            name: "Toko".into(),
            region: "ID".into(),
        }
    }

    #[test]
    fn a_code_is_spent_once_and_expires() {
        let mut auth = Auth::default();
        let code = auth.issue_code("app", seller(), vec![7], 0, LIFE);
        assert!(auth.exchange("other", &code, 1, LIFE).is_none());
        let issued = auth.exchange("app", &code, 1, LIFE).expect("tokens");
        assert_eq!(issued.access_expires_at, 101);
        assert!(auth.exchange("app", &code, 2, LIFE).is_none());
        let late = auth.issue_code("app", seller(), vec![7], 0, LIFE);
        assert!(auth.exchange("app", &late, 10, LIFE).is_none());
    }

    #[test]
    fn refresh_rotates_and_revocation_stops_it() {
        let mut auth = Auth::default();
        let code = auth.issue_code("app", seller(), vec![7, 8], 0, LIFE);
        let first = auth.exchange("app", &code, 0, LIFE).expect("tokens");
        let second = auth.refresh("app", &first.refresh_token, 50, LIFE).expect("refreshed");
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(second.access_expires_at, 150);
        assert_eq!(
            auth.refresh("app", &first.refresh_token, 50, LIFE).err(),
            Some(RefreshProblem::Invalid)
        );
        // The earlier access token lives on until its own expiry.
        assert_eq!(auth.access(&first.access_token, "app", 99).map(|(_, e)| e), Some(false));
        assert_eq!(auth.access(&first.access_token, "app", 100).map(|(_, e)| e), Some(true));

        assert_eq!(auth.revoke(7, None).len(), 1);
        assert!(auth.refresh("app", &second.refresh_token, 60, LIFE).is_ok());
        let third = auth.refresh("app", &second.refresh_token, 60, LIFE);
        assert!(third.is_err(), "rotated away");
        auth.revoke(8, Some("app"));
        let grant = auth.access(&second.access_token, "app", 60).expect("known").0;
        assert_eq!(auth.grant(grant).live_shops().count(), 0);
    }

    #[test]
    fn a_withdrawn_scope_stays_with_its_grant() {
        let mut auth = Auth::default();
        let code = auth.issue_code("app", seller(), vec![7, 8], 0, LIFE);
        let old = auth.exchange("app", &code, 0, LIFE).expect("tokens");
        assert_eq!(auth.withdraw_scope(7, Some("other")), 0);
        assert_eq!(auth.withdraw_scope(7, None), 1);
        assert_eq!(auth.withdraw_scope(7, None), 0, "already withdrawn");
        let grant = auth.grant(old.grant);
        assert!(grant.scope_withdrawn.contains(&7) && !grant.scope_withdrawn.contains(&8));
        let code = auth.issue_code("app", seller(), vec![7], 1, LIFE);
        let new = auth.exchange("app", &code, 1, LIFE).expect("tokens");
        assert!(
            auth.grant(new.grant).scope_withdrawn.is_empty(),
            "a new consent has every scope"
        );
    }

    #[test]
    fn expiring_on_demand() {
        let mut auth = Auth::default();
        let code = auth.issue_code("app", seller(), vec![7], 0, LIFE);
        let issued = auth.exchange("app", &code, 0, LIFE).expect("tokens");
        assert_eq!(auth.expire(Some(8), true, 5), 0);
        assert_eq!(auth.expire(Some(7), false, 5), 1);
        assert_eq!(auth.access(&issued.access_token, "app", 5).map(|(_, e)| e), Some(true));
        assert!(auth.refresh("app", &issued.refresh_token, 5, LIFE).is_ok());
    }
}
