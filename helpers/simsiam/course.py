"""The course's SimSiam API: :class:`SimSiam` (its graded ``forward`` and ``loss``) and
:class:`CosineSimilarity`.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

__all__ = [
    "CosineSimilarity",
    "SimSiam",
]


class CosineSimilarity(nn.Module):
    """Cosine similarity along ``dim``: x1 . x2 / max(||x1|| ||x2||, eps).

    Unlike dividing by each norm separately, a zero vector gives 0, not NaN.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """x1 . x2 / max(||x1|| ||x2||, eps) along ``self.dim``: (B, dim) tensors give (B,)."""
        dot = (x1 * x2).sum(self.dim)
        norms = x1.norm(dim=self.dim) * x2.norm(dim=self.dim)
        return dot / norms.clamp_min(self.eps)


class SimSiam(nn.Module):
    """SimSiam: an encoder (backbone + 3-layer projector) and a 2-layer predictor.

    Args:
        base_encoder: builds the backbone as ``base_encoder(num_classes=dim,
            zero_init_residual=True)``; its ``fc`` becomes the projector's last layer.
        dim: projector output size. pred_dim: the predictor's hidden size.
        stop_gradient: detach z1 and z2 in ``forward`` (the ingredient that prevents collapse).
        MLP_mode: None; ``'no_pred_mlp'`` (the predictor is the identity); or
            ``'fixed_random_init'`` (the predictor drawn from N(0, 0.01) and frozen).
    """

    def __init__(
        self,
        base_encoder: Callable[..., nn.Module],
        dim: int = 2048,
        pred_dim: int = 512,
        stop_gradient: bool = True,
        MLP_mode: str | None = None,  # the course's name
    ) -> None:
        super().__init__()
        if MLP_mode not in (None, "no_pred_mlp", "fixed_random_init"):
            raise ValueError(
                f"MLP_mode must be None, 'no_pred_mlp' or 'fixed_random_init', got {MLP_mode!r}"
            )
        self.stop_gradient = stop_gradient
        self.MLP_mode = MLP_mode
        self.encoder = base_encoder(num_classes=dim, zero_init_residual=True)
        prev_dim = self.encoder.fc.weight.shape[1]
        self.encoder.fc = nn.Sequential(
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            self.encoder.fc,
            nn.BatchNorm1d(dim, affine=False),
        )
        self.encoder.fc[6].bias.requires_grad = False  # followed by BN: the bias is redundant
        if MLP_mode == "no_pred_mlp":
            self.predictor: nn.Module = nn.Identity()
        else:
            self.predictor = nn.Sequential(
                nn.Linear(dim, pred_dim, bias=False),
                nn.BatchNorm1d(pred_dim),
                nn.ReLU(inplace=True),
                nn.Linear(pred_dim, dim),
            )
            if MLP_mode == "fixed_random_init":
                for module in self.predictor.modules():
                    if isinstance(module, nn.Linear):
                        nn.init.normal_(module.weight, 0.0, 0.01)
                        if module.bias is not None:
                            nn.init.zeros_(module.bias)
                for p in self.predictor.parameters():
                    p.requires_grad = False
        self.criterion = CosineSimilarity(dim=1)

    def backbone(self, x: Tensor) -> Tensor:
        """The representation before the projector, (B, prev_dim): what kNN and linear probes
        usually evaluate."""
        projector = self.encoder.fc
        self.encoder.fc = nn.Identity()
        try:
            return self.encoder(x)
        finally:
            self.encoder.fc = projector

    def forward(self, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Two views (B, 3, H, W) -> (p1, p2, z1, z2), each (B, dim): the handout's eqs. (4)-(5).

        z = self.encoder(x): the backbone, whose last layer ``self.encoder.fc`` is the 3-layer
        projector; p = self.predictor(z). With ``self.stop_gradient`` set, z1 and z2 are eq.
        (7)'s stop-grad targets and must pass no gradient back: detach them here, after
        computing p from them (or in :meth:`loss`, when ``self.stop_gradient`` is set).
        """
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return p1, p2, z1, z2

    def loss(
        self,
        p1: Tensor,
        p2: Tensor,
        z1: Tensor,
        z2: Tensor,
        similarity_function: str | Callable[[Tensor, Tensor], Tensor] = "CosineSimilarity",
    ) -> Tensor:
        """The handout's eq. (7): L = 0.5 D(p1, stop-grad(z2)) + 0.5 D(p2, stop-grad(z1)).

        D is the *negative* cosine similarity, averaged over the batch: D(p, z) = -mean_i
        cos(p_i, z_i). L lies in [-1, 1] and falls towards -1 as the two views agree. The
        stop-grad applies when ``self.stop_gradient`` is set: :meth:`forward` may have detached
        z1 and z2 already, or detach them here.

        Args:
            p1, p2, z1, z2: (B, dim), as :meth:`forward` returns them.
            similarity_function: the course's argument; its default ``'CosineSimilarity'``
                names :class:`CosineSimilarity` along dim 1 (training uses the default).

        Returns:
            A single-element tensor.
        """
        similarity = self._similarity(similarity_function)
        return -0.5 * (similarity(p1, z2).mean() + similarity(p2, z1).mean())

    def _similarity(
        self, similarity_function: str | Callable[[Tensor, Tensor], Tensor]
    ) -> Callable[[Tensor, Tensor], Tensor]:
        if isinstance(similarity_function, str):
            if similarity_function != "CosineSimilarity":
                raise ValueError(
                    "similarity_function must be 'CosineSimilarity' or a callable of two "
                    f"(B, dim) tensors, got {similarity_function!r}"
                )
            return self.criterion
        if isinstance(similarity_function, type):  # the class itself, as in nn.CosineSimilarity
            return similarity_function(dim=1)
        if not callable(similarity_function):
            raise TypeError(f"similarity_function is not callable: {similarity_function!r}")
        return similarity_function
