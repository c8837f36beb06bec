"""The e-mail channel: inbound mail parsed, screened and threaded into tickets; agents' answers sent by mail."""
