//! End-to-end tests of the simulator over real HTTP (127.0.0.1:0 + reqwest).

mod helpers;
mod routes;
mod shapes;
mod tiktok_shop;
