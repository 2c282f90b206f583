"""The data table: `table` holds its key layout and helpers, each other module one concept's
repository implementing one port of `rendezvous.domain.ports`."""
