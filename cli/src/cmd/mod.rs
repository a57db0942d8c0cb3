//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod compare_cluster;
pub(crate) mod fs;
pub(crate) mod group;
pub(crate) mod id;
pub(crate) mod interop;
pub(crate) mod kill_cycle;
pub(crate) mod loadtest;
pub(crate) mod message;
pub(crate) mod receive;
pub(crate) mod relay;
pub(crate) mod reports;
pub(crate) mod scale;
pub(crate) mod send;
pub(crate) mod sessions;
pub(crate) mod simulate;
pub(crate) mod validate;
pub(crate) mod vectors;
