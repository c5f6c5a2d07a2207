"""Learned metallicity models, scored on galaxies they have never seen (issue #16).

Boardman et al. (2022) end where their binned local relations stop: extended
galaxies keep steeper gradients than any local relation predicts (their
Fig. 11). The ``learn`` stage asks which parameters predict the metallicity and
its gradient, honestly: every model, the paper's binned ``base`` and ``SFH``
refitted and gradient-boosted trees on growing feature sets, is trained on
the same galaxy folds and scored on the galaxies held out.

Modules
-------
- :mod:`~metgrad.learn.inputs`: the analysis outputs this stage reads.
- :mod:`~metgrad.learn.folds`: galaxy folds stratified over the mass-size plane.
- :mod:`~metgrad.learn.features`: the feature sets and groups of correlated features.
- :mod:`~metgrad.learn.learners`: the models compared (binned and learned).
- :mod:`~metgrad.learn.scores`: held-out spaxel and gradient scores.
- :mod:`~metgrad.learn.importance`: permutation importances on held-out folds.
- :mod:`~metgrad.learn.run`: :func:`learn_run`, the whole stage.
- :mod:`~metgrad.learn.figures`: figures drawn from its outputs.
"""

from .run import learn_run

__all__ = ["learn_run"]
