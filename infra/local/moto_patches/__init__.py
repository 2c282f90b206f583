"""Small patches to moto for the local stack, each one upstreamable and applied by `apply()`
of its module before the stack starts moto's server (they patch moto's classes in place)."""
