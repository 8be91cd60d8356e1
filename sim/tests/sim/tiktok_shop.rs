//! The TikTok Shop hosts over real HTTP: signatures, consent and tokens,
//! cursor paging, orders moving on the world clock, revocation, the hidden
//! rate limit, faults set on a shop, webhooks, and answers in the shapes of
//! the documentation's samples.
//!
//! The world clock is frozen in these tests and moved only by the tests, so
//! nothing depends on how fast the machine is.

mod auth;
mod catalog;
mod client;
mod faults;
mod gateway;
mod orders;
mod shapes;
mod webhooks;
