pub mod rsa;
pub mod dh;
