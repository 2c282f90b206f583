"""Rendezvous: appointment confirmations and reminders by SMS, answered by people.

Arrows point one way: handlers -> domain -> ports; adapters implement the ports.
"""
