//! testdc
pub mod logic;
