//! One module per subcommand.

pub(crate) mod id;
pub(crate) mod vectors;
pub(crate) mod simulate;
