"""BaseInferencer: the call surface (batches, outputs on disk, drawings) on a toy task."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement, InstanceData
from torch import nn

from visionbox.core.apis import BaseInferencer, InputError, to_plain
from visionbox.core.visualization import LocalVisualizer


class _MeanBox(nn.Module):
    """One box over the whole image, scored by the image's mean brightness."""

    def forward(self, images: list[np.ndarray]) -> list[BaseDataElement]:
        samples = []
        for img in images:
            h, w = img.shape[:2]
            pred = InstanceData(
                bboxes=torch.tensor([[0.0, 0.0, w, h]]),
                scores=torch.tensor([float(img.mean()) / 255]),
                labels=torch.tensor([0]),
            )
            samples.append(BaseDataElement(pred_instances=pred))
        return samples


class _ToyInferencer(BaseInferencer):
    visualizer_cls = LocalVisualizer

    def init_model(self, config, weights, *, device, cfg_options, fuse, strict):
        model = _MeanBox()
        model.cfg = Config(dict(default_scope="core", options=cfg_options or {}))
        model.dataset_meta = dict(classes=("thing",))
        self.init_args = dict(weights=weights, device=device, fuse=fuse, strict=strict)
        self.batches: list[int] = []
        return model

    def forward(self, images, **kwargs):
        self.batches.append(len(images))
        return self.model(images)

    def pred2dict(self, result):
        pred = result.pred_instances
        return dict(bboxes=to_plain(pred.bboxes), scores=to_plain(pred.scores))


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "toy.py"
    path.write_text("default_scope = 'core'\n")
    return str(path)


def test_outputs_follow_mmdet_layout(config, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((10, 12, 3), 50 * i, np.uint8))
    inferencer = _ToyInferencer(config, device="cpu", fuse=False)
    assert inferencer.init_args == dict(weights=None, device="cpu", fuse=False, strict=True)
    out_dir = tmp_path / "out"
    result = inferencer(
        [str(folder), np.full((4, 5), 255, np.uint8)],
        batch_size=2,
        out_dir=str(out_dir),
        no_save_pred=False,
        return_vis=True,
    )
    assert inferencer.batches == [2, 2]
    assert len(result["predictions"]) == 4 and len(result["visualization"]) == 4
    assert json.loads(json.dumps(result["predictions"])) == result["predictions"]
    assert result["predictions"][3] == dict(bboxes=[[0.0, 0.0, 5.0, 4.0]], scores=[1.0])
    assert result["predictions"][2]["scores"][0] == pytest.approx(100 / 255)
    assert sorted(os.listdir(out_dir / "vis")) == ["0.png", "00000003.jpg", "1.png", "2.png"]
    assert sorted(os.listdir(out_dir / "preds")) == ["0.json", "00000003.json", "1.json", "2.json"]
    saved = json.loads((out_dir / "preds" / "2.json").read_text())
    assert saved == result["predictions"][2]
    assert result["visualization"][0].shape == (10, 12, 3)


def test_defaults_save_drawings_only_and_return_samples_on_request(config, tmp_path):
    inferencer = _ToyInferencer(config, device="cpu")
    img = np.zeros((6, 6, 3), np.uint8)
    result = inferencer(img, out_dir=str(tmp_path / "o"))
    assert os.listdir(tmp_path / "o") == ["vis"] and result["visualization"] == []
    result = inferencer([img, img], return_datasamples=True, out_dir="")
    assert isinstance(result["predictions"][0], BaseDataElement)
    assert not (tmp_path / "o" / "preds").exists()
    with pytest.raises(ValueError, match="batch_size"):
        inferencer(img, batch_size=0)


def test_bad_model_weights_and_inputs_are_named_before_work(config, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.py"):
        _ToyInferencer(str(tmp_path / "nowhere.py"))
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        _ToyInferencer(config, weights=str(tmp_path / "missing.pth"))
    with pytest.raises(TypeError, match="config path or a Config"):
        _ToyInferencer(nn.Linear(1, 1))
    inferencer = _ToyInferencer(config, device="cpu", scope="core", cfg_options=dict(a=1))
    assert inferencer.model.cfg.options == dict(default_scope="core", a=1)
    with pytest.raises(ValueError, match="channels-first"):
        inferencer([np.zeros((5, 5, 3), np.uint8), np.zeros((3, 32, 32), np.uint8)])
    assert inferencer.batches == []  # the bad second array stopped the call before any forward
    with pytest.raises(InputError):
        inferencer([])
