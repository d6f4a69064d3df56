"""Latent-space explorations and the widgets that slide through them.

The image-making functions are plain tensors in, tensors out (tested); the widgets only wire a
slider or dropdown to them and show the result, so that what a student sees in the notebook is
what the exported static figure shows.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = [
    "ImageExplorer",
    "alpha_title",
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
    """The ``k`` coordinates of z whose change by ``eps`` changes the image most (mean |dx|):
    a selection, so the effects measured on them overstate those of a typical coordinate
    (measure all coordinates too, as notebook 02 does)."""
    grid = latent_perturbations(generate, z, list(range(z.shape[0])), [0.0, eps])
    change = (grid[:, 1] - grid[:, 0]).abs().flatten(1).mean(1)
    return change.topk(k).indices.tolist()


def alpha_title(z0: str = "z0", z1: str = "z1") -> str:
    """A figure's column title for the handout's interpolation convention, alpha z0 +
    (1 - alpha) z1 (Problem 2, Q4), with the names of the two ends."""
    return f"alpha, the weight of {z0} (alpha = 0: {z1}, alpha = 1: {z0})"


def _alphas(alphas: Sequence[float] | Tensor, like: Tensor) -> Tensor:
    return torch.as_tensor(alphas, dtype=like.dtype, device=like.device)


def interpolate_latent(
    generate: Callable[[Tensor], Tensor], z0: Tensor, z1: Tensor, alphas: Sequence[float] | Tensor
) -> Tensor:
    """Latent-space interpolation in the handout's convention (Problem 2, Q4 (a)):
    x'_alpha = g(z'_alpha) with z'_alpha = alpha z0 + (1 - alpha) z1, for each alpha.

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
    """Spherical interpolation (slerp): g of codes on the great circle between z1 and z0, with
    the norm interpolated linearly; alpha is the weight of z0, as in :func:`interpolate_latent`.

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
        grid: (D, E, C, H, W) images in [-1, 1] of one code z, row i moving one coordinate;
            column ``E // 2`` must be eps = 0 (the unmoved image, the same in every row).
        classify: maps (B, C, H, W) images to (B,) predicted labels and (B,) confidences
            (as :func:`helpers.common.classify` does).
        threshold: a mean colour shift (in [-1, 1] units) above this counts as a colour change.

    Returns:
        ``coordinates``: D; ``label_change``: the share of coordinates whose largest move (either
        end of the row) changes the predicted label; ``colour_change``: the share that shift the
        mean colour by more than ``threshold``; ``both``: the share that do both (entangled
        factors); ``confidence``: the classifier's confidence on the unmoved image (one image,
        counted once); ``confidence_moved``: its mean confidence on the moved images at the
        row ends (labels of images it is unsure of say little); ``colour_threshold``: the
        threshold used.
    """
    d, e = grid.shape[:2]
    centre, ends = grid[:, e // 2], grid[:, [0, -1]]
    with torch.no_grad():
        base, confidence = classify(centre[:1])  # the unmoved image: one, whatever D is
        moved, moved_confidence = classify(ends.flatten(0, 1))
    label = (moved.view(d, 2) != base[0]).any(1)
    colour = (ends.mean((-1, -2)) - centre.mean((-1, -2))[:, None]).abs().amax((1, 2))
    coloured = colour > threshold
    return {
        "coordinates": d,
        "label_change": label.float().mean().item(),
        "colour_change": coloured.float().mean().item(),
        "both": (label & coloured).float().mean().item(),
        "confidence": confidence[0].float().item(),
        "confidence_moved": moved_confidence.float().mean().item(),
        "colour_threshold": threshold,
    }


def interpolate_data(
    generate: Callable[[Tensor], Tensor], z0: Tensor, z1: Tensor, alphas: Sequence[float] | Tensor
) -> Tensor:
    """Data-space interpolation in the handout's convention (Problem 2, Q4 (b)):
    x-hat_alpha = alpha g(z0) + (1 - alpha) g(z1), pixel by pixel.

    Returns:
        (A, C, H, W) images: cross-fades of the two end images; alpha = 1 gives g(z0), alpha = 0
        gives g(z1).
    """
    ends = _decode(generate, torch.stack([z0, z1]))
    a = _alphas(alphas, z0).view(-1, *([1] * (ends.ndim - 1)))
    return a * ends[0] + (1 - a) * ends[1]


RESTART_NOTE = (
    "<b>Live panel:</b> it needs this notebook's running kernel. After a kernel restart, or in "
    "a notebook opened again, it shows an error or a still image of the view it had: run this "
    "cell again to move it. The static figure next to it keeps the result visible in a saved "
    "notebook. The &#9664; / &#9654; buttons move a slider by one step in every interface."
)


def _is_slider(control: object) -> bool:
    return all(hasattr(control, name) for name in ("min", "max", "step", "readout"))


class ImageExplorer:
    """An ipywidgets panel: controls whose values go to ``render(**values)``, which returns
    (N, C, H, W) images, shown as one grid below the controls.

    The grid is upscaled by an integer factor with nearest-neighbour pixels and shown at exactly
    that size (crisp, and small enough that the controls and the image fit on a laptop screen
    together). Each slider gets step buttons beside it, which work where the arrow keys do not
    (in Notebook 7 command mode takes them). A line above the panel says that a restarted
    kernel needs the cell run again.

    Args:
        render: maps the controls' values (keyword arguments) to images.
        controls: name -> an ipywidgets control (FloatSlider, Dropdown, ...); a control without a
            description is labelled with its name.
        nrow: images per row of the grid.
        value_range: the images' range, e.g. (-1, 1) for tanh outputs (see plots.make_grid).
        scale: the upscaling factor; None fits the grid into ``max_size``.
        max_size: (width, height) in CSS pixels that an automatic ``scale`` keeps within.
        panel_labels: one caption per image of the grid's first row, formatted with the
            controls' values (``"z[{dim}] + {eps:+g}"``).
        note: HTML shown above the panel (None: none).
    """

    def __init__(
        self,
        render: Callable[..., Tensor],
        controls: dict[str, object],
        *,
        nrow: int = 11,
        value_range: tuple[float, float] | None = None,
        scale: int | None = None,
        max_size: tuple[int, int] = (640, 288),
        panel_labels: Sequence[str] | None = None,
        note: str | None = RESTART_NOTE,
    ) -> None:
        import ipywidgets as widgets

        self.render = render
        self.controls = controls
        self.nrow = nrow
        self.value_range = value_range
        self.scale = scale
        self.max_size = max_size
        self.panel_labels = list(panel_labels) if panel_labels is not None else None
        self.note = note
        self.image = widgets.Image(format="png")
        self.image.add_class("workbook-explorer-image")
        self.readout = widgets.HTML()
        self.readout.add_class("workbook-explorer-readout")
        self.captions = widgets.HTML()
        self.captions.add_class("workbook-explorer-captions")
        rows = []
        for name, control in controls.items():
            if not getattr(control, "description", ""):
                control.description = name  # type: ignore[attr-defined]
            control.style.description_width = "initial"  # type: ignore[attr-defined]
            control.observe(lambda _change: self.update(), names="value")  # type: ignore[attr-defined]
            rows.append(self._with_steps(name, control) if _is_slider(control) else control)
        box = [*rows, self.readout]
        if self.panel_labels is not None:
            box.append(self.captions)
        self.widget = widgets.VBox(
            [*box, self.image], layout=widgets.Layout(align_items="flex-start")
        )  # type: ignore[list-item]
        self.widget.add_class("workbook-explorer")
        self.update()

    @staticmethod
    def _with_steps(name: str, control: object) -> object:
        """``control`` between a step-down and a step-up button."""
        import ipywidgets as widgets

        def step(sign: int) -> Callable[[object], None]:
            def move(_button: object) -> None:
                c = control
                value = round(c.value + sign * c.step, 10)  # type: ignore[attr-defined]
                c.value = min(max(value, c.min), c.max)  # type: ignore[attr-defined]

            return move

        buttons = []
        for sign, text, word in ((-1, "\u25c0", "down"), (1, "\u25b6", "up")):
            button = widgets.Button(
                description=text,
                tooltip=f"{name} {word} one step",
                layout=widgets.Layout(width="40px"),
            )
            button.add_class(f"workbook-step-{word}")
            button.on_click(step(sign))
            buttons.append(button)
        return widgets.HBox([buttons[0], control, buttons[1]])  # type: ignore[list-item]

    def values(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}  # type: ignore[attr-defined]

    def _shown(self, name: str, control: object) -> str:
        value = getattr(control, "label", None)
        if value is None:
            value = control.value  # type: ignore[attr-defined]
            value = f"{value:g}" if isinstance(value, float) else value
        return f"{getattr(control, 'description', '') or name} = {value}"

    def update(self) -> None:
        """Render with the controls' current values and show the result."""
        from html import escape

        from matplotlib.image import imsave

        from .plots import make_grid

        values = self.values()
        images = self.render(**values)
        grid = make_grid(images, nrow=self.nrow, value_range=self.value_range)
        scale = self.scale
        if scale is None:
            width, height = self.max_size
            scale = max(1, min(width // grid.shape[1], height // grid.shape[0]))
        grid = grid.repeat_interleave(scale, 0).repeat_interleave(scale, 1)
        buffer = io.BytesIO()
        imsave(buffer, grid.numpy(), format="png")
        self.image.value = buffer.getvalue()
        self.image.layout.width = f"{grid.shape[1]}px"
        self.image.layout.height = f"{grid.shape[0]}px"
        shown = ", ".join(self._shown(n, c) for n, c in self.controls.items())
        # integer upscaling keeps pixels square at 1:1; the style keeps them so on a HiDPI screen
        self.readout.value = (
            f"<span>showing {escape(shown)}</span>"
            "<style>.workbook-explorer-image { image-rendering: pixelated; }</style>"
        )
        if self.panel_labels is not None:
            panel = (images.shape[-1] + 2) * scale  # make_grid's padding is 2 pixels
            cells = "".join(
                f'<div style="width:{panel}px;text-align:center">{escape(label.format(**values))}'
                "</div>"
                for label in self.panel_labels
            )
            self.captions.value = f'<div style="display:flex;padding-left:{scale}px">{cells}</div>'

    def _repr_mimebundle_(self, **_kwargs: object) -> dict[str, object]:
        """The live panel, with a PNG of its current image and a line of text as fallbacks.

        Front-ends with ipywidgets draw the panel (a saved notebook needs the widget state in its
        metadata, which ``python -m helpers run`` stores); viewers without them (GitHub, VS Code
        and Colab on a saved notebook, nbconvert) show the PNG, or the text.
        """
        shown = ", ".join(self._shown(n, c) for n, c in self.controls.items())
        return {
            **self.widget._repr_mimebundle_(),  # type: ignore[attr-defined]
            "image/png": base64.b64encode(self.image.value).decode("ascii"),
            "text/plain": f"Image panel showing {shown} (run the cell to move its controls)",
        }

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        if self.note:
            display(HTML(f'<p class="workbook-explorer-note">{self.note}</p>'))
        display(self._repr_mimebundle_(), raw=True)
