"""The resident checkout: residents pay one or several council bills by card, in English or Welsh,
as guests or signed in. A channel plug-in (`channel.WebCheckoutChannel`)."""
