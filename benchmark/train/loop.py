"""A generic training loop: AdamW, warmup, clipping, accumulation, AMP, DDP, checkpoints, logs.

Model-agnostic: give it a model, an endless iterator of batches, ``loss_fn(model, batch) ->
LossOutput`` and optionally ``evaluate(model) -> {name: value}``. Settings come from the
``TrainConfig`` (steps, batch/accumulation, optimizer, schedule, logging cadence).

- **Optimizer**: AdamW, linear warmup, then constant (the paper) or cosine decay.
- **Accumulation**: ``accum_steps`` micro-batches per optimizer step, divided among DDP ranks so
  the effective batch stays ``batch_size x accum_steps``.
- **AMP**: on CUDA, autocast to bf16 (or fp16 with a loss scaler); CPU runs in fp32.
- **DDP**: under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in
  DistributedDataParallel (NCCL on GPUs, gloo on CPU); rank 0 logs and saves.
- **Checkpoints**: ``last.safetensors`` (resume), ``best.safetensors`` (best validation value),
  ``checkpoints/step_NNNNNNN.safetensors`` (the last ``keep_checkpoints``).
- **Logs**: a tqdm bar, ``metrics.csv`` (one row per ``log_every`` steps and per validation)
  and TensorBoard scalars in ``tb/``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmark.models import count_parameters
from benchmark.models.ant.losses import LossOutput
from benchmark.train.checkpoint import FORMAT, model_state, read_checkpoint, restore_optimizer, save_checkpoint
from benchmark.train.config import TrainConfig
from benchmark.train.tb import EventWriter

CSV_FIELDS = ["step", "time_s", "lr", "loss", "loss_fwd", "loss_cyc", "match_acc", "grad_norm", "pairs_per_s",
              "val_acc"]


@dataclass
class DistInfo:
    """Where this process sits in a (possibly single-process) DDP job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_kind: str) -> DistInfo:
    """Join the ``torchrun`` process group when ``WORLD_SIZE > 1`` (NCCL on CUDA, gloo on CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))


def pick_device(name: str, dist: DistInfo) -> torch.device:
    """``auto`` = CUDA (this rank's GPU) when available, else CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{dist.local_rank}"
    return torch.device(name)


def amp_dtype(device: torch.device, enabled: bool = True) -> torch.dtype | None:
    """The autocast dtype of mixed precision on ``device``: bf16 on a CUDA device that has it, else fp16
    (which needs a loss scaler in training); None on CPU or when disabled (fp32 there)."""
    if not enabled or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def prepare_run_dir(out: str | os.PathLike, resume: bool) -> Path:
    """Check the run folder: a fresh run must not overwrite a checkpoint, a resume needs one."""
    from dataprep.errors import LinecorrError

    run = Path(out)
    last = run / "last.safetensors"
    if run.exists() and not run.is_dir():
        raise LinecorrError("--out is a file, not a run folder", run)
    if resume and not last.is_file():
        raise LinecorrError("nothing to resume: no last.safetensors in the run folder", run)
    if not resume and last.is_file():
        raise LinecorrError("run folder already holds a checkpoint; pass --resume or choose another --out", run)
    run.mkdir(parents=True, exist_ok=True)
    return run


def start_run(cfg, out: str | os.PathLike, resume: bool) -> tuple[DistInfo, Path, torch.device]:
    """The common start of a training run (AnT, patch-ViT): DDP setup, run folder, threads, seeds, device.

    ``cfg`` needs ``device``, ``threads`` and ``seed``. Only rank 0 checks and creates the folder.
    """
    import numpy as np

    cuda = cfg.device.startswith("cuda") or (cfg.device == "auto" and torch.cuda.is_available())
    dist = setup_distributed("cuda" if cuda else "cpu")
    run = prepare_run_dir(out, resume) if dist.main else Path(out)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    return dist, run, pick_device(cfg.device, dist)


def save_run_config(run: Path, cfg) -> None:
    """Write the resolved config as ``config.yaml`` in the run folder."""
    import yaml

    from dataprep.config import config_dict

    (run / "config.yaml").write_text(yaml.safe_dump(config_dict(cfg), sort_keys=False), encoding="utf-8")


def run_training(cfg, out: str | os.PathLike, resume: bool, *, title: str,
                 build_model: Callable[[DistInfo], torch.nn.Module], loss_fn: Callable,
                 validation: Callable[[], Callable | None], loader: Callable[[DistInfo, int], Iterable],
                 trainer_cls: type[Trainer] | None = None, progress: bool = True) -> Path:
    """The body of every ``train_*`` entry point (AnT, patch-ViT); returns the final checkpoint's path.

    DDP setup, run folder, seeds and device (:func:`start_run`), then the model, the trainer (resumed
    from ``out/last.safetensors`` with ``resume``), ``config.yaml`` and a one-line summary on rank 0,
    the training loop and the DDP teardown.

    Args:
        cfg: the model's training config (``TrainConfig``-like: ``preset``, ``steps``, ``batch_size``, ...).
        out: run folder.
        resume: continue the run in ``out``.
        title: model name for the summary line.
        build_model: ``(dist) -> model``, called after seeding (rank 0 may print from it).
        loss_fn: ``loss_fn(model, batch) -> LossOutput``.
        validation: ``() -> score_fn or None``; only rank 0 calls it (it may load data).
        loader: ``(dist, start_step) -> batches``, the training stream from ``start_step`` on.
        trainer_cls: :class:`Trainer` or a subclass (the checkpoint format).
        progress: show the progress bar.
    """
    dist, run, device = start_run(cfg, out, resume)
    model = build_model(dist)
    trainer = (trainer_cls or Trainer)(model, cfg, run, loss_fn, validation() if dist.main else None, dist, device)
    if resume:
        trainer.resume(Path(out) / "last.safetensors")
    elif cfg.init:
        start = trainer.init_from(cfg.init)
        if dist.main:
            print(f"weights from {cfg.init} (step {start} of its run); optimizer and schedule start anew")
    if dist.main:
        save_run_config(run, cfg)
        print(f"{title} ({cfg.preset}): {count_parameters(model):,} parameters, {device}, world {dist.world}, "
              f"effective batch {cfg.batch_size * trainer.accum * dist.world}, {cfg.steps} steps, "
              f"from step {trainer.step}")
    last = trainer.fit(loader(dist, trainer.step), progress)
    finish_run(dist)
    return last


def finish_run(dist: DistInfo) -> None:
    """Tear down the process group of a DDP run (no-op for one process)."""
    if dist.world > 1:
        import torch.distributed as tdist

        tdist.barrier()
        tdist.destroy_process_group()


def _one_thread(_: int) -> None:
    torch.set_num_threads(1)  # workers build samples; the main process owns the cores for the model


def make_loader(stream: torch.utils.data.IterableDataset, cfg, collate: Callable) -> Iterator:
    """An endless batch iterator over ``stream`` (``cfg.batch_size``, ``cfg.workers`` one-thread workers)."""
    loader = torch.utils.data.DataLoader(stream, batch_size=cfg.batch_size, collate_fn=collate,
                                         num_workers=cfg.workers, worker_init_fn=_one_thread,
                                         pin_memory=torch.cuda.is_available(), persistent_workers=cfg.workers > 0)
    return iter(loader)


def lr_factor(step: int, cfg: TrainConfig, time_frac: float = 0.0) -> float:
    """Learning-rate multiplier at optimizer step ``step`` (0-based): warmup, then flat or cosine.

    With a time limit, the cosine follows whichever is further along, the steps or the time
    (``time_frac`` = elapsed / limit), so a run cut short by the clock still ends annealed.
    """
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.lr_decay == "cosine":
        span = max(1, cfg.steps - cfg.warmup_steps)
        frac = max((step - cfg.warmup_steps) / span, time_frac)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
    return 1.0


def _drop_rows_after(path: Path, step: int) -> float:
    """Keep the rows of ``metrics.csv`` up to ``step``: a run killed after its last checkpoint logged
    steps that the resumed run trains (and logs) again, so the curve would have them twice.

    Returns the training time (``time_s``) of the last row kept, 0 when none: a resumed run logs its
    time on from there, so ``time_s`` is the run's wall time across every resume (learning curves).
    """
    from dataprep.format.atomic import atomic_write_text

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return 0.0
    keep = [rows[0]] + [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) <= step]
    col = rows[0].index("time_s") if "time_s" in rows[0] else None
    times = [float(r[col]) for r in keep[1:] if col is not None and len(r) > col and r[col]]
    if len(keep) < len(rows):
        lines = []
        for r in keep:
            buf = io.StringIO()
            csv.writer(buf).writerow(r)
            lines.append(buf.getvalue())
        atomic_write_text(path, "".join(lines))
    return max(times, default=0.0)


class MetricsLog:
    """``metrics.csv`` (appended across resumes) and TensorBoard scalars, on rank 0."""

    def __init__(self, run_dir: Path, start_step: int = 0) -> None:
        path = run_dir / "metrics.csv"
        #: seconds the run had trained before this invocation (its time_s goes on from there)
        self.time_before = 0.0
        if start_step > 0 and path.is_file():
            self.time_before = _drop_rows_after(path, start_step)
        new = not path.is_file()
        self._f = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115 (open for the whole run)
        self._csv = csv.DictWriter(self._f, CSV_FIELDS, extrasaction="ignore")
        if new:
            self._csv.writeheader()
        self._tb = EventWriter(run_dir / "tb")

    def write(self, row: dict) -> None:
        self._csv.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        self._f.flush()
        for k, v in row.items():
            if k != "step" and isinstance(v, (int, float)) and math.isfinite(v):
                self._tb.add_scalar(k if "/" in k else f"train/{k}" if k != "val_acc" else "val/acc", v, row["step"])
        self._tb.flush()

    def close(self) -> None:
        self._f.close()
        self._tb.close()


class Trainer:
    """Runs the optimisation of one model; see the module docstring."""

    #: ``format`` written into (and expected from) checkpoints; other models set their own.
    checkpoint_format = FORMAT

    def __init__(self, model: torch.nn.Module, cfg: TrainConfig, run_dir: str | os.PathLike,
                 loss_fn: Callable[[torch.nn.Module, dict], LossOutput],
                 evaluate: Callable[[torch.nn.Module], float] | None = None,
                 dist: DistInfo | None = None, device: torch.device | None = None) -> None:
        self.cfg, self.run_dir, self.loss_fn, self.evaluate = cfg, Path(run_dir), loss_fn, evaluate
        self.dist = dist or DistInfo()
        self.device = device or torch.device("cpu")
        self.model = model.to(self.device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.amp_dtype = amp_dtype(self.device, cfg.amp)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.step, self.best = 0, float("-inf")
        self.t0 = time.time()  # the time limit counts from here (each invocation, resumes included)
        self.accum = max(1, cfg.accum_steps // self.dist.world)
        self.ddp = self._wrap_ddp() if self.dist.world > 1 else None

    def _wrap_ddp(self):
        from torch.nn.parallel import DistributedDataParallel

        if self.device.type == "cuda":
            self.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            return DistributedDataParallel(self.model, device_ids=[self.device.index])
        return DistributedDataParallel(self.model)

    # ---- checkpoints ---------------------------------------------------------------------------
    def save(self, name: str) -> Path:
        return save_checkpoint(self.run_dir / name, self.model, self.cfg, self.step, self.opt,
                               self.scaler.state_dict() if self.scaler.is_enabled() else {}, self.best,
                               fmt=self.checkpoint_format)

    def resume(self, path: str | os.PathLike) -> None:
        """Restore weights, optimizer, schedule, step, best value and RNG from a checkpoint."""
        import json

        tensors, meta = read_checkpoint(path, self.checkpoint_format)
        self.model.load_state_dict(model_state(tensors))
        restore_optimizer(self.opt, tensors, meta)
        self.step = int(meta.get("step", 0))
        self.best = float(meta.get("best", "-inf"))
        scaler = json.loads(meta.get("scaler", "{}"))
        if scaler and self.scaler.is_enabled():
            self.scaler.load_state_dict(scaler)
        if "rng.torch" in tensors:
            torch.set_rng_state(tensors["rng.torch"])

    def init_from(self, path: str | os.PathLike) -> int:
        """Start from the weights of another run's checkpoint (fine-tuning); returns the step it was saved at.

        Only the weights are taken: the optimizer, the learning-rate schedule, the step count and the
        best validation value start anew, so ``cfg.steps`` and ``cfg.warmup_steps`` describe the
        fine-tuning alone. The architecture must be the checkpoint's own: a difference in any
        ``model.*`` value (a non-parameter one such as ``min_crop`` included, which would load
        silently and change what the weights see) is a one-line error naming the keys.
        """
        import json

        from dataprep.config import config_dict
        from dataprep.errors import LinecorrError

        tensors, meta = read_checkpoint(path, self.checkpoint_format)
        theirs = json.loads(meta.get("config", "{}")).get("model", {})
        ours = config_dict(self.cfg)["model"]  # plain data (tuples as lists), as the checkpoint stores it
        differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
        if differ:
            keys = ", ".join(f"model.{k} (checkpoint {theirs.get(k)!r}, this run {ours.get(k)!r})" for k in differ)
            raise LinecorrError(f"init checkpoint has another architecture: {keys}; match it with --set", path)
        self.model.load_state_dict(model_state(tensors))
        return int(meta.get("step", 0))

    def _checkpoint(self) -> None:
        self.save(f"checkpoints/step_{self.step:07d}.safetensors")
        self.save("last.safetensors")
        old = sorted((self.run_dir / "checkpoints").glob("step_*.safetensors"))[:-max(1, self.cfg.keep_checkpoints)]
        for p in old:
            p.unlink(missing_ok=True)

    # ---- one optimizer step --------------------------------------------------------------------
    def _micro_step(self, batch: dict, sync: bool) -> LossOutput:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        net = self.ddp or self.model
        ctx = contextlib.nullcontext() if sync or self.ddp is None else self.ddp.no_sync()
        with ctx:
            with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
                out = self.loss_fn(net, batch)
            self.scaler.scale(out.loss / self.accum).backward()
        return out

    def train_step(self, batches: Iterator[dict]) -> dict:
        """Accumulate ``accum`` micro-batches, clip, step; returns the step's log row."""
        self.model.train()
        limit = 60 * self.cfg.time_limit_min
        # Single process only: DDP ranks must apply identical learning rates, so they follow the steps.
        frac = (time.time() - self.t0) / limit if limit > 0 and self.dist.world == 1 else 0.0
        for g in self.opt.param_groups:
            g["lr"] = self.cfg.lr * lr_factor(self.step, self.cfg, frac)
        outs = [self._micro_step(next(batches), sync=i == self.accum - 1) for i in range(self.accum)]
        self.scaler.unscale_(self.opt)
        params = [p for p in self.model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.clip_norm if self.cfg.clip_norm > 0 else float("inf"))
        self.scaler.step(self.opt)
        self.scaler.update()
        self.opt.zero_grad(set_to_none=True)
        self.step += 1
        return {"loss": _mean(float(o.loss.detach()) for o in outs), "loss_fwd": _mean(o.forward for o in outs),
                "loss_cyc": _mean(o.cycle for o in outs), "match_acc": _mean(o.accuracy for o in outs),
                "grad_norm": float(norm), "lr": self.opt.param_groups[0]["lr"]}

    # ---- the loop ------------------------------------------------------------------------------
    def fit(self, batches: Iterator[dict], progress: bool = True) -> Path:
        """Train up to ``cfg.steps`` (or the time limit); returns the path of ``last.safetensors``."""
        cfg, main = self.cfg, self.dist.main
        log = MetricsLog(self.run_dir, self.step) if main else None
        bar = _bar(self.step, cfg.steps, progress and main)
        # time_s counts the run's training time across resumes: t0 is moved back by what was logged before
        self.t0 = time.time()
        t0 = self.t0 - (log.time_before if log else 0.0)
        last_t, last_step = self.t0, self.step
        try:
            if cfg.eval_every and self.step == 0 and cfg.init:
                # A fine-tune is measured from where it starts: the step-0 row is the init weights' score,
                # and they stay best.safetensors unless training beats them.
                self._validate(log, t0)
            while self.step < cfg.steps:
                row = self.train_step(batches)
                bar.update(1)
                bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row['match_acc']:.3f}", refresh=False)
                if main and (self.step % cfg.log_every == 0 or self.step == cfg.steps):
                    now = time.time()
                    pairs = (self.step - last_step) * cfg.batch_size * self.accum * self.dist.world
                    row.update(step=self.step, time_s=now - t0, pairs_per_s=pairs / max(now - last_t, 1e-9))
                    log.write(row)
                    last_t, last_step = now, self.step
                if cfg.eval_every and self.step % cfg.eval_every == 0:
                    self._validate(log, t0)
                if main and cfg.ckpt_every and self.step % cfg.ckpt_every == 0:
                    self._checkpoint()
                if self._out_of_time(self.t0):
                    bar.write(f"time limit of {cfg.time_limit_min:g} min reached at step {self.step}")
                    break
            if cfg.eval_every and self.step % cfg.eval_every:
                self._validate(log, t0)
            if main:
                self._checkpoint()
        finally:
            bar.close()
            if log:
                log.close()
        return self.run_dir / "last.safetensors"

    def _validate(self, log: MetricsLog | None, t0: float) -> None:
        if self.evaluate is None or not self.dist.main:
            return
        self.model.eval()
        with torch.no_grad():
            acc = float(self.evaluate(self.model))
        if log:
            log.write({"step": self.step, "time_s": time.time() - t0, "val_acc": acc})
        if math.isfinite(acc) and acc > self.best:
            self.best = acc
            self.save("best.safetensors")

    def _out_of_time(self, t0: float) -> bool:
        stop = self.cfg.time_limit_min > 0 and time.time() - t0 > 60 * self.cfg.time_limit_min
        if self.dist.world > 1:  # every rank must stop at the same step
            import torch.distributed as dist

            flag = torch.tensor([float(stop)], device=self.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            stop = bool(flag.item())
        return stop


def _mean(vals) -> float:
    v = [x for x in vals if math.isfinite(x)]
    return sum(v) / len(v) if v else float("nan")


def _bar(start: int, total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=start, desc="train", unit="step", file=sys.stderr,
                disable=not enabled or None, dynamic_ncols=True)
