//! Nothing but a home for `benches/`: the criterion benches of `ember-cpu`'s kernels.
