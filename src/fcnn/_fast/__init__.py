"""Speed only. Nothing here changes a number that the readable path computes beyond rounding;
each piece has a test proving it equal to ``fcnn.network`` (``tests/_fast/``):

- ``workspace``: preallocated arrays for one batch size and the per-layer plans that bind them
  to a network's parameters (``ForwardLayer``, ``BackwardLayer``);
- ``batch``: a workspace with its targets, the gather of a mini-batch, the accuracy count;
- ``step``: the one place where a run's step function is chosen (``choose``), and the compiled
  softmax/cross-entropy step;
- ``blas``: NumPy's own BLAS, for plain gradient descent inside the weight-gradient products;
- ``threads``: the BLAS thread count of a run, chosen once by size and load under any outer
  limit;
- ``cache``: a network's batches kept between its fits;
- ``stacked``: K networks' parameters, step and optimisers as one computation
  (``fcnn.Population``);
- ``lbfgs``: the L-BFGS step driver (one iteration per full-batch update, a strong-Wolfe line
  search) for :class:`fcnn.lbfgs.LBFGS`;
- ``sparse``: the first layer's products for a ``scipy.sparse`` batch, never densified.
"""
