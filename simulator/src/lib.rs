//! Placeholder: the discrete-event relay-load simulator lands with the simulator issue.
