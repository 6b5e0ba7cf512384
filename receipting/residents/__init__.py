"""Residents who sign in: their accounts, server-side sessions, saved references and the payments
they made while signed in. A resident sees only their own."""
