"""The latent explorations' convention (the handout's: alpha z0 + (1 - alpha) z1, so alpha = 1
is z0) and the widget panel."""

from __future__ import annotations

import io

import ipywidgets as widgets
import pytest
import torch
from matplotlib.image import imread

from helpers.notebook import ImageExplorer, interactive


def cubic(z: torch.Tensor) -> torch.Tensor:
    """A non-linear 'generator': (B, L) codes -> (B, 1, 1, L) images, so that latent, spherical
    and data interpolation differ everywhere but at their ends."""
    return (z**3 + z)[:, None, None, :]


@pytest.mark.parametrize(
    "interpolate",
    [interactive.interpolate_latent, interactive.interpolate_spherical,
     interactive.interpolate_data],
)  # fmt: skip
def test_alpha_one_is_z0_and_zero_is_z1_as_in_the_handout(interpolate):
    z0, z1 = torch.tensor([1.0, 0.5, -2.0]), torch.tensor([-0.5, 2.0, 1.0])
    images = interpolate(cubic, z0, z1, [1.0, 0.75, 0.0])
    torch.testing.assert_close(images[0], cubic(z0[None])[0])
    torch.testing.assert_close(images[2], cubic(z1[None])[0])
    # alpha = 0.75 weighs z0 by 3/4: nearer g(z0) than g(z1)
    assert (images[1] - images[0]).norm() < (images[1] - images[2]).norm()


def test_alpha_title_names_the_convention():
    assert interactive.alpha_title() == "alpha, the weight of z0 (alpha = 0: z1, alpha = 1: z0)"
    assert "weight of mu0" in interactive.alpha_title("mu0", "mu1")


def png_shape(data: bytes) -> tuple[int, ...]:
    return imread(io.BytesIO(data), format="png").shape


def test_explorer_shows_a_crisp_image_at_a_fixed_size():
    def render(alpha):
        image = torch.zeros(2, 1, 4, 4)
        image[0, 0, 0, 0] = alpha  # one pixel of the first image follows alpha
        return image

    slider = widgets.FloatSlider(value=0.0, min=0, max=1, step=0.5, description="alpha")
    explorer = ImageExplorer(render, {"alpha": slider}, nrow=2, max_size=(140, 100))
    # the grid is 2 + 2 * (4 + 2) = 14 wide and 8 high: scale min(140 // 14, 100 // 8) = 10
    assert png_shape(explorer.image.value)[:2] == (80, 140)
    assert (explorer.image.layout.width, explorer.image.layout.height) == ("140px", "80px")
    slider.value = 1.0
    pixels = imread(io.BytesIO(explorer.image.value), format="png")
    # nearest-neighbour: the one bright source pixel is a uniform 10 x 10 block
    block = pixels[20:30, 20:30, 0]
    assert block.min() == block.max() > 0.9
    assert pixels[30, 20, 0] < 0.1 and pixels[20, 30, 0] < 0.1  # its dark neighbours
    assert (explorer.image.layout.width, explorer.image.layout.height) == ("140px", "80px")


def test_explorer_step_buttons_readout_labels_and_captions():
    seen = []

    def render(pair, alpha):
        seen.append((pair, alpha))
        return torch.full((2, 1, 3, 3), alpha)

    dropdown = widgets.Dropdown(options=[("5 -> 9", 0), ("8 -> 7", 1)])
    slider = widgets.FloatSlider(value=0.5, min=0, max=1, step=0.25, description="alpha")
    explorer = ImageExplorer(
        render, {"pair": dropdown, "alpha": slider}, nrow=2,
        panel_labels=["first {alpha:g}", "second"],
    )  # fmt: skip
    assert dropdown.description == "pair"  # an unlabelled control gets its name
    assert "pair = 5 -&gt; 9" in explorer.readout.value
    assert "alpha = 0.5" in explorer.readout.value
    assert "first 0.5" in explorer.captions.value and "second" in explorer.captions.value
    row = explorer.widget.children[1]
    down, up = row.children[0], row.children[2]
    assert row.children[1] is slider
    first = explorer.image.value
    up.click()
    assert slider.value == 0.75 and seen[-1] == (0, 0.75)
    assert explorer.image.value != first and "alpha = 0.75" in explorer.readout.value
    up.click()
    up.click()  # stays at the maximum
    assert slider.value == 1.0
    for _ in range(5):
        down.click()
    assert slider.value == 0.0 and seen[-1] == (0, 0.0)
    dropdown.value = 1
    assert seen[-1] == (1, 0.0) and "pair = 8 -&gt; 7" in explorer.readout.value


def test_explorer_says_that_a_restarted_kernel_needs_the_cell_again():
    from IPython.core.interactiveshell import InteractiveShell

    explorer = ImageExplorer(
        lambda alpha: torch.zeros(1, 1, 2, 2),
        {"alpha": widgets.FloatSlider(description="alpha")},
    )
    shell = InteractiveShell.instance()
    outputs = []
    shell.display_pub.publish = lambda data, **_kw: outputs.append(data)  # type: ignore[method-assign]
    try:
        explorer._ipython_display_()
    finally:
        InteractiveShell.clear_instance()
    html = [o["text/html"] for o in outputs if "text/html" in o]
    assert any("restart" in h and "run this cell again" in h for h in html)


def test_explorer_output_carries_a_png_and_text_besides_the_live_panel():
    """A saved notebook shows the panel where widgets render, else the PNG of its image (GitHub,
    VS Code, Colab), else a line of text that says what it shows, not the widget's repr."""
    import base64

    from IPython.core.interactiveshell import InteractiveShell

    slider = widgets.FloatSlider(value=0.25, min=0, max=1, step=0.25, description="alpha")
    explorer = ImageExplorer(lambda alpha: torch.full((1, 1, 2, 2), alpha), {"alpha": slider})
    shell = InteractiveShell.instance()
    outputs = []
    shell.display_pub.publish = lambda data, **_kw: outputs.append(data)  # type: ignore[method-assign]
    try:
        explorer._ipython_display_()
    finally:
        InteractiveShell.clear_instance()
    panels = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o]
    assert len(panels) == 1
    panel = panels[0]
    assert panel["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert base64.b64decode(panel["image/png"]) == explorer.image.value
    assert "alpha = 0.25" in panel["text/plain"] and "VBox(" not in panel["text/plain"]
