"""The test-mode bank: writes the statements a real bank (and the card processor's
settlement report) would send for a day, in CSV, MT940 and CAMT.053, so the demo and the
tests run the real import. It plays an outside party: it only reads our records."""
