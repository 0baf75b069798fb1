"""ACT: action-based contrastive self-training (Alg. 1 builds D_pref, Alg. 2 trains on it)."""
