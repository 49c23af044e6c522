"""Data: the synthetic teaching sets (:mod:`~fcnn.data.datasets`, public as ``fcnn.datasets``),
the user's files (:mod:`~fcnn.data.files`: CSV via :mod:`~fcnn.data.delimited`, .npy, .npz),
and preprocessing (label encoding, the split, standardisation). NumPy only."""
