"""The shared kernel: message types, text, callback signing, the clock, the outbox writer,
time zones, the programme, channel descriptions and the typed configuration of the core."""
