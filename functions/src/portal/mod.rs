//! The local server: the same handlers the Lambdas run, behind one router,
//! plus the web page.

pub mod config;
pub mod server;
pub mod web;
