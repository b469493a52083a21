"""Identity linking: which permits and visas belong to the guest of a stay."""
