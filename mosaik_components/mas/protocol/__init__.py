"""The coordination protocol: its message types (:mod:`.messages`) and one codec (:mod:`.codec`)."""
