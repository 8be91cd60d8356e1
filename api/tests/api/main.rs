//! The API over HTTP on real Postgres (a database per test), real Redis (a queue per test) and the
//! simulator (for connection tests).

mod admin;
mod audit;
mod authorization;
mod basics;
mod console;
mod edges;
mod endpoints;
mod helpers;
mod openapi;
mod outage;
mod routes;
mod secrets;
mod throttle;
