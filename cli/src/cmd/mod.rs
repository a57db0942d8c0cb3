//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod id;
pub(crate) mod message;
pub(crate) mod simulate;
pub(crate) mod vectors;
