"""Small patches to moto that the local stack applies before it starts moto (each upstreamable)."""
