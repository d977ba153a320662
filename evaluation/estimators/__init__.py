"""Impact-evaluation designs: one subpackage per design (did, matching, meta, trajectories)."""
