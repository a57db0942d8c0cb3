//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod id;
pub(crate) mod vectors;
