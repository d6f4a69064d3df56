"""Latent-space explorations and the widgets that slide through them.

The image-making functions are plain tensors in, tensors out (tested); the widgets only wire a
slider or dropdown to them and show the result, so that what a student sees in the notebook is
what the exported static figure shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = [
    "ImageExplorer",
    "interpolate_data",
    "interpolate_latent",
    "interpolate_spherical",
    "latent_perturbations",
    "most_visible_dims",
    "perturbation_effects",
]


def _decode(generate: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    with torch.no_grad():
        return generate(z)


def latent_perturbations(
    generate: Callable[[Tensor], Tensor], z: Tensor, dims: Sequence[int], eps: Sequence[float]
) -> Tensor:
    """Images of z with one coordinate moved: z'_i = z_i + e for each i in ``dims``, e in ``eps``.

    Args:
        generate: maps (B, L) codes to (B, C, H, W) images.
        z: (L,) one code.

    Returns:
        (len(dims), len(eps), C, H, W): row i varies coordinate ``dims[i]``.
    """
    if z.ndim != 1:
        raise ValueError(f"z must be one code of shape (L,), got shape {tuple(z.shape)}")
    for d in dims:
        if not 0 <= d < z.shape[0]:
            raise ValueError(f"dimension {d} is outside 0..{z.shape[0] - 1}")
    codes = z.repeat(len(dims), len(eps), 1)  # (D, E, L)
    offsets = torch.tensor(eps, dtype=z.dtype, device=z.device)
    for row, d in enumerate(dims):
        codes[row, :, d] += offsets
    images = _decode(generate, codes.reshape(-1, z.shape[0]))
    return images.reshape(len(dims), len(eps), *images.shape[1:])


def most_visible_dims(
    generate: Callable[[Tensor], Tensor], z: Tensor, eps: float, k: int
) -> list[int]:
    """The ``k`` coordinates of z whose change by ``eps`` changes the image most (mean |dx|)."""
    grid = latent_perturbations(generate, z, list(range(z.shape[0])), [0.0, eps])
    change = (grid[:, 1] - grid[:, 0]).abs().flatten(1).mean(1)
    return change.topk(k).indices.tolist()


def _alphas(alphas: Sequence[float] | Tensor, like: Tensor) -> Tensor:
    return torch.as_tensor(alphas, dtype=like.dtype, device=like.device)


def interpolate_latent(
    generate: Callable[[Tensor], Tensor], z0: Tensor, z1: Tensor, alphas: Sequence[float] | Tensor
) -> Tensor:
    """Latent-space interpolation: g(alpha z0 + (1 - alpha) z1) for each alpha.

    Args:
        z0, z1: (L,) codes. alphas: (A,) weights of z0.

    Returns:
        (A, C, H, W) images; alpha = 1 gives g(z0), alpha = 0 gives g(z1).
    """
    a = _alphas(alphas, z0)[:, None]
    return _decode(generate, a * z0 + (1 - a) * z1)


def interpolate_spherical(
    generate: Callable[[Tensor], Tensor], z0: Tensor, z1: Tensor, alphas: Sequence[float] | Tensor
) -> Tensor:
    """Spherical interpolation (slerp): g of codes on the great circle from z1 to z0, with the
    norm interpolated linearly.

    A straight line between two draws of N(0, I) in L dimensions passes through codes of norm
    about sqrt(L / 2) at its middle, while the prior's draws have norm about sqrt(L): the middle
    of the line is off the prior's typical set. Slerp keeps the norm typical.

    Returns:
        (A, C, H, W) images; alpha = 1 gives g(z0), alpha = 0 gives g(z1).
    """
    a = _alphas(alphas, z0)[:, None]
    u0, u1 = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.arccos((u0 * u1).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    direction = (torch.sin(a * omega) * u0 + torch.sin((1 - a) * omega) * u1) / torch.sin(omega)
    norm = a * z0.norm() + (1 - a) * z1.norm()
    return _decode(generate, direction * norm)


def perturbation_effects(
    grid: Tensor, classify: Callable[[Tensor], tuple[Tensor, Tensor]], threshold: float = 0.05
) -> dict[str, float]:
    """How moving one coordinate changes an image, from :func:`latent_perturbations`' grid.

    Args:
        grid: (D, E, C, H, W) images in [-1, 1]; column ``E // 2`` must be eps = 0.
        classify: maps (B, C, H, W) images to (B,) predicted labels and (B,) confidences
            (as :func:`helpers.frechet.classify` does).
        threshold: a mean colour shift (in [-1, 1] units) above this counts as a colour change.

    Returns:
        ``label_change``: the share of coordinates whose largest move changes the predicted
        label; ``colour_change``: the share that shift the mean colour by more than
        ``threshold``; ``both``: the share that do both (entangled factors); ``confidence``:
        the classifier's mean confidence on the unmoved images (labels of images it is unsure
        of say little).
    """
    d, e = grid.shape[:2]
    centre, ends = grid[:, e // 2], grid[:, [0, -1]]
    with torch.no_grad():
        base, confidence = classify(centre)  # (D,)
        moved = classify(ends.flatten(0, 1))[0].view(d, 2)
    label = (moved != base[:, None]).any(1)
    colour = (ends.mean((-1, -2)) - centre.mean((-1, -2))[:, None]).abs().amax((1, 2))
    coloured = colour > threshold
    return {
        "label_change": label.float().mean().item(),
        "colour_change": coloured.float().mean().item(),
        "both": (label & coloured).float().mean().item(),
        "confidence": confidence.float().mean().item(),
    }


def interpolate_data(
    generate: Callable[[Tensor], Tensor], z0: Tensor, z1: Tensor, alphas: Sequence[float] | Tensor
) -> Tensor:
    """Data-space interpolation: alpha g(z0) + (1 - alpha) g(z1), pixel by pixel.

    Returns:
        (A, C, H, W) images: cross-fades of the two end images.
    """
    ends = _decode(generate, torch.stack([z0, z1]))
    a = _alphas(alphas, z0).view(-1, *([1] * (ends.ndim - 1)))
    return a * ends[0] + (1 - a) * ends[1]


class ImageExplorer:
    """An ipywidgets panel: controls whose values go to ``render(**values)``, which returns
    (N, C, H, W) images, shown as one grid below the controls.

    Args:
        render: maps the controls' values (keyword arguments) to images.
        controls: name -> an ipywidgets control (FloatSlider, Dropdown, ...).
        nrow: images per row of the grid.
        value_range: the images' range, e.g. (-1, 1) for tanh outputs (see plots.make_grid).
    """

    def __init__(
        self,
        render: Callable[..., Tensor],
        controls: dict[str, object],
        *,
        nrow: int = 11,
        value_range: tuple[float, float] | None = None,
        scale: int = 3,
    ) -> None:
        import ipywidgets as widgets

        self.render = render
        self.controls = controls
        self.nrow = nrow
        self.value_range = value_range
        self.scale = scale
        self.image = widgets.Image(format="png")
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")  # type: ignore[attr-defined]
        self.widget = widgets.VBox([*controls.values(), self.image])  # type: ignore[list-item]
        self.update()

    def values(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}  # type: ignore[attr-defined]

    def update(self) -> None:
        """Render with the controls' current values and show the result."""
        from matplotlib.image import imsave

        from .plots import make_grid

        grid = make_grid(self.render(**self.values()), nrow=self.nrow, value_range=self.value_range)
        grid = grid.repeat_interleave(self.scale, 0).repeat_interleave(self.scale, 1)
        buffer = io.BytesIO()
        imsave(buffer, grid.numpy(), format="png")
        self.image.value = buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
