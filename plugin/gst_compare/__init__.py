"""gst_compare: the generic real-vs-simulated comparison plugin (no torch, no Vidur)."""
