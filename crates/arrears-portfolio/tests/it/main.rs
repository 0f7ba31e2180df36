//! Integration tests of the portfolio: routing, parallel cycles, merged reports, moves.

mod portfolio;
mod wide;
