"""Pure numpy physics: dust, star formation, IMF factors, BPT, strong-line calibrators."""
