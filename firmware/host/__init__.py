# Talking to the acquirer host: channel (TCP + framing), messages, session.
