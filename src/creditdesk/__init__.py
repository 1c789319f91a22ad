"""creditdesk: customer credit management across legal entities."""

__version__ = "0.1.0"
