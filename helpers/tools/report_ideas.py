"""The fixed paragraphs of the report: for each question the idea a student can adapt, from
the notebooks' theory (:data:`IDEAS`, by question key: ``P1.Q6``, ``B1.2``), and a paragraph
under some parts' headings (:data:`INTROS`). Markdown with ``$...$`` for mathematics; what a
run shows follows them in the report, from its findings.
"""

from __future__ import annotations

from ..simsiam.findings import SIMSIAM_COLLAPSED

__all__ = ["IDEAS", "INTROS"]

IDEAS: dict[str, str] = {
    "P1.Q6": (
        r"The VAE maximises the evidence lower bound, $\mathcal{L}(x) = "
        r"\mathbb{E}_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi(z \mid x)"
        r"\,\|\,p(z)) \le \log p_\theta(x)$, with the prior $p(z) = \mathcal{N}(0, I_L)$, "
        r"$L = 100$, and a product of Bernoullis as decoder; the handout trains it with Adam at "
        r"$3 \times 10^{-4}$ for 20 epochs and asks for an average validation ELBO of at least "
        r"$-102$ nats. The workbook trains the same model twice, with the KL term computed "
        r"analytically (unit test Q4) and by a one-sample Monte-Carlo estimate (Q5); both are "
        r"evaluated with the analytic KL, so their validation curves are comparable."
    ),
    "P1.Q7": (
        r"Importance sampling with the encoder as proposal estimates $\log p(x) \approx \log "
        r"\frac{1}{K}\sum_{k=1}^{K} p_\theta(x \mid z_k)\,p(z_k) / q_\phi(z_k \mid x)$, "
        r"$z_k \sim q_\phi(z \mid x)$, summed in log space with `log_mean_exp` (unit test Q3). "
        r"The average inside the logarithm is unbiased for $p(x)$, so by Jensen's inequality "
        r"the estimate of $\log p(x)$ is biased low: in expectation it is itself a lower bound, "
        r"equal to the ELBO for $K = 1$ and tightening as $K$ grows. Its excess over the ELBO "
        r"therefore estimates the true gap, $\log p(x) - \mathcal{L}(x) = \mathrm{KL}(q_\phi(z "
        r"\mid x)\,\|\,p(z \mid x))$, from below. Drawing $z_k$ from the prior instead is also "
        r"unbiased for $p(x)$ but hopeless in practice: almost no prior draw explains a given "
        r"image, so the average is dominated by the rare good draw."
    ),
    "B1.1": (
        "The convolutional VAE is the workbook's own (residual convolutional stages in place of "
        "the MLP, the same Bernoulli decoder, latent size and training split); it is not the "
        "handout's architecture, so its numbers answer neither Q6 nor Q7. A sample is "
        r"$z \sim \mathcal{N}(0, I)$ decoded to Bernoulli means, smooth grey-level images; a "
        "Bernoulli draw of the same means samples every pixel independently, hence the speckle "
        "around the strokes."
    ),
    "B1.2": (
        "A VAE pays a KL cost for every latent dimension it uses. A dimension whose information "
        r"about the image is worth less than its cost stays at the prior, $q(z_i \mid x) "
        r"\approx \mathcal{N}(0, 1)$ for every $x$: an *inactive unit*. As Burda et al. (2016) "
        r"do, dimension $i$ counts as active when its posterior mean varies across test images, "
        r"$\mathrm{Var}_x\,\mathbb{E}_q[z_i \mid x] > 0.01$. A larger $L$ therefore helps only "
        r"up to the number of dimensions the data need, and $L = 2$ is a severe bottleneck; "
        "with two dimensions the latent space can be drawn (the manifold figure)."
    ),
    "B1.3": (
        r"Decoding the straight line between the posterior means $\mu_0$ and $\mu_1$ of two test "
        r"images, $\alpha\mu_0 + (1 - \alpha)\mu_1$ with the handout's convention ($\alpha = 1$ "
        "is the first image): the KL term packs the codes of the training images densely around "
        "the prior, so the path is expected to pass through plausible digits."
    ),
    "P2.Q2": (
        "*Blurriness.* A DCGAN-sized generator gets the overall colour layout of a house number "
        "before its fine detail, so the samples of a short or small run have soft edges and "
        "smudged neighbouring digits; sharpness is measured against that of real images. "
        "*Diversity.* The Wasserstein critic keeps giving the generator a useful gradient when "
        "the two distributions barely overlap, which is held to make a WGAN less prone to mode "
        "collapse than a vanilla GAN; a collapsed generator shows near-duplicates, measured by the "
        "distances between samples against those between real images. The Fréchet distance (FD) "
        "between the classifier features of generated and real test images sums both: it grows "
        "when samples are off the data and when their spread is wrong."
    ),
    "P2.Q3": (
        "A representation is disentangled when each coordinate of $z$ controls one factor of "
        "variation of the image (which digit, its colour, its slant, the background) and leaves "
        r"the others alone. Nothing in the GAN objective asks for this: the prior "
        r"$\mathcal{N}(0, I)$ is unchanged by any rotation $R$ of $z$, so the generator "
        r"$z \mapsto g(Rz)$ fits the data exactly as well as $g$, and a coordinate lines up with "
        "a factor only by chance. One expects most coordinates to change several things at once. "
        r"The handout asks for a small $\epsilon$ that still changes the image visibly: here "
        r"$\epsilon$ runs from $-2$ to $+2$, at most two standard deviations of a prior "
        r"coordinate. The moved coordinate $z_i + \epsilon$ can still land beyond $\pm 3$, where "
        r"the prior rarely puts a coordinate, when $z_i$ itself is large."
    ),
    "P2.Q4": (
        r"As in the handout, $\alpha$ weighs the first end: (a) decodes $z'_\alpha = \alpha z_0 + "
        r"(1 - \alpha) z_1$, (b) mixes $\hat{x}_\alpha = \alpha x_0 + (1 - \alpha) x_1$ with "
        r"$x_i = g(z_i)$, for $\alpha = 0, 0.1, \dots, 1$; on both paths $\alpha = 1$ gives "
        r"$g(z_0)$ and $\alpha = 0$ gives $g(z_1)$. *The difference.* Interpolating in the data "
        "space is a cross-fade: every pixel moves on a straight line between its two values, so "
        "the intermediate images are pixel averages in which both images show through each other "
        "(ghosting), most at half-way; an average of two house numbers is in general neither an "
        "image of the data distribution nor one the generator produces. Interpolating in the "
        r"latent space passes every $z'_\alpha$ through the generator, so every intermediate is a "
        "generated image, on the generator's learned manifold: the content changes (shape, "
        "colour, layout) rather than the opacity, and a smooth path says that $g$ is "
        "continuous. A caveat on the straight line in $z$: two prior draws have norm about "
        r"$\sqrt{100} = 10$, their midpoint about $\sqrt{50} \approx 7.1$, off the shell where "
        "the prior's draws lie; spherical interpolation (slerp, beyond the handout) keeps the "
        "norm typical. Two measures at the midpoints ($\\alpha = 0.5$) of 50 pairs read the "
        "difference: the digit classifier's confidence (a generated image should look more like "
        "some digit than a ghosted one) and the pixel contrast, the standard deviation of an "
        "image's pixel values, which a cross-fade of two different images lowers."
    ),
    "B2.1": (
        "The vanilla GAN's discriminator $D$ outputs the probability that its input is real. "
        r"For a fixed generator the best discriminator is $D^*(x) = p_\mathrm{data}(x) / "
        r"(p_\mathrm{data}(x) + p_g(x))$, and the generator then minimises the Jensen-Shannon "
        r"divergence: at the optimum $p_g = p_\mathrm{data}$ and $D^* = 1/2$ everywhere. The "
        r"minimax generator loss $\log(1 - D(G(z)))$ saturates when $D$ rejects the samples; "
        r"the workbook trains with the non-saturating $-\log D(G(z))$."
    ),
    "B2.2": (
        "The critic's estimate is plotted as `vf_wasserstein_distance` returns it: "
        r"$\mathbb{E}_{x \sim \mu}[f(x)] - \mathbb{E}_{y \sim \nu}[f(y)]$, real minus "
        "generated, the sign the course's unit tests expect. The handout's eq. (1) writes "
        "generated minus real, which its eq. (3) has the critic minimise with the penalty; the "
        r"workbook's critic maximises the function's value minus $\lambda$ times the penalty, the "
        "same objective. The estimate is a Wasserstein-1 distance only where the critic is "
        "1-Lipschitz, which a penalty near 0 indicates. Once the critic is trained, the estimate "
        "should fall as the generator improves; at the very start it can also rise, while the "
        "critic learns faster than the generator."
    ),
    "B2.3": (
        "The VAE of Problem 1 has a likelihood (and a bound on it); the GAN has none, only "
        "samples, scored here by a Fréchet distance. A VAE covers the data (every training image "
        "must get probability), which is what blurs its means; a GAN is free to drop modes, but "
        "its samples can be sharper."
    ),
    "P3.Q4": (
        "Without negative pairs, nothing in the loss stops the encoder from mapping every image "
        "to the same vector, which gives the loss its minimum, $-1$, at once: *collapse*. With "
        r"stop-gradient, $z_2$ is a constant target for $p_1$ (and $z_1$ for $p_2$): each update "
        "moves one view's prediction towards the other view's current representation, and Chen "
        "& He hypothesise that SimSiam then behaves like an alternating, EM-like optimisation "
        "that does not take the constant shortcut. Without stop-gradient the loss is minimised "
        "through both branches at once, and the cheapest way to make two views agree is a "
        r"constant output: the loss races to $-1$ and the output standard deviation (times "
        r"$\sqrt{d}$: about 1 when the normalised outputs spread over the sphere, 0 when they "
        "collapse) falls towards 0, and a collapsed output carries no information about the "
        "image. This report calls a run *collapsed* when that number ends at "
        f"{SIMSIAM_COLLAPSED} or less (Chen & He's Fig. 2 plots the same quantity). The kNN "
        "accuracy (a weighted vote of the 200 nearest training images) reads how useful the "
        "features are, for the backbone and for the projector's output $z$; a collapsed "
        "projector can sit on a backbone that keeps some information, so the baseline to beat "
        "is the untrained network, not chance."
    ),
    "P3.Q5": (
        r"With the predictor replaced by the identity the loss is $-\frac{1}{2}[\cos(z_1, "
        r"\mathrm{sg}(z_2)) + \cos(z_2, \mathrm{sg}(z_1))]$. The first term's gradient reaches "
        r"$z_1$ only, the second's $z_2$ only, and the cosine is symmetric, so together they give "
        r"exactly the gradient of $-\frac{1}{2}\cos(z_1, z_2)$ *without* stop-gradient: removing "
        "the predictor undoes the stop-gradient, and the run heads for the same collapse as Q4's "
        "run without it. The trained predictor is what makes the two branches asymmetric."
    ),
    "B3.1": (
        "Two baselines give the accuracy that a learned representation has to beat: the kNN "
        "monitor on normalised raw pixels, and on the backbone's features before any training "
        "(random convolutions already pool local shape and colour). The augmentations decide "
        "what two views share, and so what the encoder can learn."
    ),
    "B3.2": (
        "The workbook's fourth run keeps stop-gradient but freezes the predictor at its random "
        "initialisation. Chen & He report that SimSiam does not work with a fixed random "
        "predictor (their table 1): the predictor has to be trained."
    ),
    "B3.3": (
        "The standard test of a self-supervised representation: freeze the backbone, compute "
        "its features once (no augmentation), and train only a linear classifier on them, with "
        "labels."
    ),
    "B4.1": (
        "An autoencoder minimises the reconstruction error alone: nothing says where its codes "
        r"should lie, at what scale or offset, so a draw from $\mathcal{N}(0, I)$ lands where no "
        "training code was, and the decoder's output there is not a digit (in this workbook's "
        "runs: near-black images with faint strokes). It is a compressor, not a generative model."
    ),
    "B4.2": (
        r"The VAE maximises reconstruction minus $\beta$ times $\mathrm{KL}(q(z \mid x)\,\|\,"
        r"\mathcal{N}(0, I))$. With $\beta = 0$ it is an autoencoder with noisy codes: sharp "
        r"reconstructions, a large KL, prior samples as poor as the AE's. With $\beta = 10$ the "
        "KL dominates: codes carry little information and reconstructions blur. A tuned "
        r"$\beta$ (chosen by the Fréchet distance of prior samples to the validation images) "
        "trades the two."
    ),
    "B4.3": (
        "The same pairs of test images interpolated in both latent spaces, with the handout's "
        r"convention ($\alpha = 1$ is the first image). The AE's codes sit on an irregular set, "
        "so its path may leave the data; the VAE's codes are regularised towards the prior. The "
        "digit classifier's confidence at the midpoints says how digit-like they are."
    ),
}

# One paragraph under a part's heading (before its questions).
INTROS: dict[str, str] = {
    "03_simsiam": (
        "The handout's runs and the workbook's letters: Q4's run *with* stop-gradient is the "
        "workbook's run (a), `stop_gradient`, the run *without* it (b), `no_stop_gradient`; "
        "Q5 (a)'s identity predictor is the workbook's run (c), `no_pred_mlp`. The workbook's "
        "fourth run, (d) `fixed_random_init`, a frozen random predictor, goes beyond the handout "
        "(B3.2). The figures under Q4 show every run; the handout's 100 epochs are the full "
        "profile's, and each table gives this run's number."
    ),
    "04_autoencoders": (
        "This problem is optional enrichment, not part of the handout: it follows a related "
        "assignment's autoencoder-vs-VAE question, which asks (B4.1) why an autoencoder cannot "
        r"generate from $\mathcal{N}(0, I)$, (B4.2) what $\beta = 0$, $\beta = 10$ and a tuned "
        r"$\beta$ do to reconstructions and prior samples, and (B4.3) how interpolation differs "
        "between the two latent spaces and which embedding to use downstream. Every item is "
        "numbered B4.n."
    ),
}
