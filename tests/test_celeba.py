"""CelebA layout: the writers produce the original formats, the reader reads them back.

No CelebA is needed: every test writes a tiny folder in CelebA's layout to tmp_path.
"""
import hashlib
import os

import numpy as np
import pytest
import torch
from PIL import Image

from vaelab.data import celeba
from vaelab.data.celeba import ATTRIBUTES, CelebAFolder, load_tensors

W, H = celeba.ALIGNED_SIZE  # 178 wide, 218 high
PARTITION = [0, 0, 0, 1, 1, 2, 2]  # 3 train, 2 valid, 2 test
# (torchvision's CelebA fails on a split of exactly one image, so every split gets two or more)
GREY, FRAME = (128, 128, 128), (220, 30, 30)
COLOURS = [(20, 60, 200), (30, 180, 40), (230, 200, 20), (200, 40, 160), (40, 200, 200), (250, 120, 0),
           (90, 40, 20)]

# Two rows of the original list_attr_celeba.txt (000001 and 000007), as published in the
# public partial copies of the file; 000007 shows the unpadded first value.
ORIGINAL_ROWS = {
    "000001.jpg -1  1  1 -1 -1 -1 -1 -1 -1 -1 -1  1 -1 -1 -1 -1 -1 -1  1  1 -1  1 -1 -1  1 -1 -1  1"
    " -1 -1 -1  1  1 -1  1 -1  1 -1 -1  1",
    "000007.jpg 1 -1  1  1 -1 -1  1  1  1 -1 -1 -1  1 -1 -1 -1 -1 -1 -1 -1  1 -1 -1 -1  1 -1 -1  1"
    " -1 -1 -1 -1  1 -1 -1 -1 -1 -1 -1  1",
}


def face(colour):
    """A 178x218 image: red frame outside the seed crop's margins, grey inside, a coloured centre square."""
    img = np.empty((H, W, 3), np.uint8)
    img[:] = FRAME
    img[20:198, 16:162] = GREY  # the seed crop keeps x 22.25..155.75, y 27.25..190.75
    img[H // 2 - 40:H // 2 + 40, W // 2 - 40:W // 2 + 40] = colour
    return img


def write_tree(folder, n=7, seed=0):
    rng = np.random.default_rng(seed)
    attrs = rng.choice([-1, 1], size=(n, len(ATTRIBUTES)))
    attrs[0, 0], attrs[1, 0] = 1, -1  # both kinds of first value
    names = celeba.write_images(folder / "img_align_celeba", [face(c) for c in COLOURS[:n]])
    celeba.write_attr_file(folder / "list_attr_celeba.txt", names, attrs)
    celeba.write_partition_file(folder / "list_eval_partition.txt", names, PARTITION[:n])
    return names, attrs


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "celeba"
    names, attrs = write_tree(root)
    return root, names, attrs


def test_attribute_names_match_torchvision_and_seed():
    assert len(ATTRIBUTES) == 40 and len(set(ATTRIBUTES)) == 40
    assert ATTRIBUTES[0] == "5_o_Clock_Shadow" and ATTRIBUTES[20] == "Male"
    assert ATTRIBUTES[31] == "Smiling" and ATTRIBUTES[39] == "Young"
    # alexlyzhov/latent-subspaces attr_classifier/dataset.py ATTR_TO_IX_DICT, by index
    seed = {"Sideburns": 30, "Black_Hair": 8, "Wavy_Hair": 33, "Heavy_Makeup": 18, "Blond_Hair": 9,
            "Wearing_Necktie": 38, "Mouth_Slightly_Open": 21, "Pointy_Nose": 27, "Eyeglasses": 15,
            "Wearing_Earrings": 34, "Bushy_Eyebrows": 12, "Narrow_Eyes": 23}
    assert all(ATTRIBUTES[i] == name for name, i in seed.items())


def test_attr_file_bytes(tmp_path):
    path = celeba.write_attr_file(tmp_path / "a.txt", ["000001.jpg", "000002.jpg"],
                                  [[-1, 1, 1], [1, -1, 1]], names=["A", "B", "C"])
    assert path.read_bytes() == b"2\r\nA B C \r\n000001.jpg -1  1  1\r\n000002.jpg 1 -1  1\r\n"
    # 0/1 and booleans mean the same as -1/1
    celeba.write_attr_file(tmp_path / "b.txt", ["000001.jpg", "000002.jpg"],
                           np.array([[0, 1, 1], [1, 0, 1]], dtype=bool), names=["A", "B", "C"])
    assert (tmp_path / "b.txt").read_bytes() == path.read_bytes()


def test_attr_lines_match_the_original():
    for line in ORIGINAL_ROWS:
        name, *vals = line.split()
        assert celeba.format_attr_line(name, [int(v) for v in vals]) == line


def test_partition_file_reproduces_the_original_md5(tmp_path):
    # CelebA's published split: 1..162770 train, ..182637 valid, ..202599 test.
    names = [celeba.image_name(i) for i in range(1, 202600)]
    parts = [0] * 162770 + [1] * (182637 - 162770) + [2] * (202599 - 182637)
    path = celeba.write_partition_file(tmp_path / "list_eval_partition.txt", names, parts)
    from torchvision.datasets import CelebA
    want = {f: md5 for _, md5, f in CelebA.file_list}["list_eval_partition.txt"]
    assert hashlib.md5(path.read_bytes()).hexdigest() == want
    assert path.read_bytes().startswith(b"000001.jpg 0\r\n000002.jpg 0\r\n")


def test_read_back(tree):
    root, names, attrs = tree
    lengths = {s: len(CelebAFolder(root, split=s)) for s in ("train", "valid", "test", "all")}
    assert lengths == {"train": 3, "valid": 2, "test": 2, "all": 7}
    ds = CelebAFolder(root, split="valid")
    assert ds.attr_names == list(ATTRIBUTES)
    assert ds.filenames == names[3:5]
    assert torch.equal(ds.attrs, torch.tensor((attrs[3:5] + 1) // 2, dtype=torch.float32))
    x, a = ds[0]
    assert x.shape == (3, 64, 64) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert a.dtype == torch.float32 and torch.equal(a, ds.attrs[0])
    assert torch.equal(ds[-1][0], ds[1][0])
    with pytest.raises(IndexError):
        ds[2]

    sub = CelebAFolder(root, split="all", size=32, attributes=["Smiling", "Male"])
    assert sub.attr_names == ["Smiling", "Male"]
    assert sub[0][0].shape == (3, 32, 32)
    want = (attrs[:, [ATTRIBUTES.index("Smiling"), ATTRIBUTES.index("Male")]] + 1) // 2
    assert torch.equal(sub.attrs, torch.tensor(want, dtype=torch.float32))

    # the reader does not depend on the exact spacing or on CRLF
    path = root / "list_attr_celeba.txt"
    path.write_text("\n".join(" ".join(line.split()) for line in path.read_text().splitlines()) + "\n")
    assert torch.equal(CelebAFolder(root, split="all").attrs, torch.tensor((attrs + 1) // 2, dtype=torch.float32))


def test_crop_is_the_seed_projects(tree):
    root, names, _ = tree
    ds = CelebAFolder(root, split="all")
    for i, colour in enumerate(COLOURS):
        x = ds[i][0]
        # exactly the seed project's three PIL calls on the stored JPEG
        with Image.open(root / "img_align_celeba" / names[i]) as img:
            ref = img.convert("RGB").resize((256, 256), Image.LANCZOS).crop((32, 32, 224, 224))
            ref = np.asarray(ref.resize((64, 64), Image.LANCZOS), dtype=np.float32) / 255
        assert torch.equal(x, torch.from_numpy(ref).permute(2, 0, 1))
        # the centre keeps the square's colour, the grey survives near the edges, the frame is cut off
        centre = x[:, 24:40, 24:40].mean(dim=(1, 2))
        assert torch.allclose(centre, torch.tensor(colour) / 255, atol=0.04)
        assert torch.allclose(x[:, 1:4, 1:4].mean(dim=(1, 2)), torch.tensor(GREY) / 255, atol=0.04)
        # the red frame is cut off: the output's outer band is all grey (a 178x178 crop would show it)
        band = torch.ones(64, 64, dtype=torch.bool)
        band[8:56, 8:56] = False
        assert (x[:, band] - torch.tensor(GREY)[:, None] / 255).abs().max() < 0.08
        # the square spans x 49..129, y 69..149 -> output columns (49-22.25)/133.5*64 = 12.8 .. 51.2
        row = x[:, 32, :]
        assert torch.allclose(row[:, 16], torch.tensor(colour) / 255, atol=0.06)
        assert torch.allclose(row[:, 9], torch.tensor(GREY) / 255, atol=0.06)


def _torchvision_extras(folder, names):
    """Minimal valid versions of the annotation files that torchvision's CelebA also reads."""
    crlf = celeba.NEWLINE
    (folder / "identity_CelebA.txt").write_text("".join(f"{f} {i + 1}{crlf}" for i, f in enumerate(names)))
    (folder / "list_bbox_celeba.txt").write_text(
        f"{len(names)}{crlf}image_id x_1 y_1 width height{crlf}"
        + "".join(f"{f} 95 71 226 313{crlf}" for f in names))
    (folder / "list_landmarks_align_celeba.txt").write_text(
        f"{len(names)}{crlf}lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x "
        f"leftmouth_y rightmouth_x rightmouth_y{crlf}"
        + "".join(f"{f} 69 109 106 113 77 142 73 152 108 154{crlf}" for f in names))


def test_torchvision_reads_the_written_files(tmp_path, monkeypatch):
    tv = pytest.importorskip("torchvision.datasets.celeba")
    folder = tmp_path / "data" / "celeba"
    names, attrs = write_tree(folder, seed=1)
    _torchvision_extras(folder, names)
    # torchvision compares the list files with the MD5s of the originals; ours hold other values
    monkeypatch.setattr(tv, "check_integrity", lambda fpath, md5=None: os.path.isfile(fpath))
    for split in ("train", "valid", "test", "all"):
        theirs = tv.CelebA(tmp_path / "data", split=split, target_type="attr", download=False)
        ours = CelebAFolder(tmp_path / "data", split=split)  # torchvision's celeba/ layout
        assert list(theirs.filename) == ours.filenames
        assert torch.equal(theirs.attr.float(), ours.attrs)
        # the original's line 2 ends in a space, so torchvision's header gains an empty 41st name
        assert list(theirs.attr_names) == list(ATTRIBUTES) + [""]
    assert torch.equal(theirs.attr, torch.tensor((attrs + 1) // 2))


def test_layout_and_load_tensors(tmp_path):
    names, attrs = write_tree(tmp_path / "celeba")
    for root in (tmp_path, tmp_path / "celeba"):
        assert len(CelebAFolder(root, split="all")) == 7
    x, a = load_tensors(tmp_path, split="train", size=16)
    ds = CelebAFolder(tmp_path, split="train", size=16)
    assert x.shape == (3, 3, 16, 16) and a.shape == (3, 40)
    assert torch.equal(x, torch.stack([ds[i][0] for i in range(3)]))
    assert torch.equal(a, ds.attrs)
    xu, au = load_tensors(tmp_path, "all", 16, ["Young"], limit=2, dtype=torch.uint8)
    assert xu.shape == (2, 3, 16, 16) and xu.dtype == torch.uint8
    assert torch.equal(au, torch.tensor((attrs[:2, [39]] + 1) // 2, dtype=torch.float32))
    assert torch.equal(xu.float().div(255), torch.stack([ds[i][0] for i in range(2)]))


def test_write_images_layouts(tmp_path):
    hwc = face(COLOURS[0])
    chw = torch.from_numpy(face(COLOURS[1])).permute(2, 0, 1)
    names = celeba.write_images(tmp_path, [hwc, chw], start=9)
    assert names == ["000009.jpg", "000010.jpg"]
    for name in names:
        with Image.open(tmp_path / name) as img:
            assert img.format == "JPEG" and img.mode == "RGB" and img.size == (W, H)
    with pytest.raises(TypeError, match="uint8"):
        celeba.write_images(tmp_path, [hwc.astype(np.float32)])


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as e:
        CelebAFolder(tmp_path / "nowhere")
    assert "data/celeba/" in str(e.value) and "list_attr_celeba.txt" in str(e.value)
    with pytest.raises(FileNotFoundError, match="no CelebA files"):
        CelebAFolder(tmp_path)
    root = tmp_path / "celeba"
    names, _ = write_tree(root, n=3)
    (root / "list_eval_partition.txt").unlink()
    with pytest.raises(FileNotFoundError, match="list_eval_partition.txt") as e:
        CelebAFolder(tmp_path)
    assert "incomplete" in str(e.value) and "img_align_celeba/" in str(e.value)
    celeba.write_partition_file(root / "list_eval_partition.txt", names, [0, 0, 0])
    (root / "img_align_celeba" / names[-1]).unlink()
    with pytest.raises(FileNotFoundError, match=names[-1]):
        CelebAFolder(root)


def _corrupt(root, lineno, new):
    path = root / "list_attr_celeba.txt"
    lines = path.read_bytes().decode().split("\r\n")
    lines[lineno - 1] = new(lines[lineno - 1])
    path.write_bytes("\r\n".join(lines).encode())


@pytest.mark.parametrize("lineno, edit, message", [
    (4, lambda line: line[:-3], "has 39 values, expected 40"),
    (5, lambda line: line.replace(" -1", "  0", 1), "'0' for"),
    (1, lambda line: "9", "says 9 images but the file has 7"),
    (1, lambda line: "six", "expected the number of images"),
])
def test_malformed_attr_file(tree, lineno, edit, message):
    root, _, _ = tree
    _corrupt(root, lineno, edit)
    with pytest.raises(ValueError, match=message) as e:
        CelebAFolder(root)
    assert f"list_attr_celeba.txt, line {lineno}:" in str(e.value)


def test_malformed_partition_file(tree):
    root, _, _ = tree
    path = root / "list_eval_partition.txt"
    path.write_bytes(path.read_bytes().replace(b"000002.jpg 0", b"000002.jpg 3"))
    with pytest.raises(ValueError, match=r"list_eval_partition.txt, line 2:"):
        CelebAFolder(root)


def test_bad_arguments(tree):
    root, _, _ = tree
    with pytest.raises(ValueError, match="did you mean 'Smiling'") as e:
        CelebAFolder(root, attributes=["Smilling"])
    assert "5_o_Clock_Shadow" in str(e.value)  # lists the valid names
    with pytest.raises(ValueError, match="did you mean 'Male'"):
        CelebAFolder(root, attributes="male")
    with pytest.raises(ValueError, match="valid, test, all.*'valid'"):
        CelebAFolder(root, split="validation")
    with pytest.raises(ValueError, match="at least 8"):
        CelebAFolder(root, size=4)
    with pytest.raises(TypeError, match="int"):
        CelebAFolder(root, size=64.0)
    with pytest.raises(ValueError, match="-1/1"):
        celeba.write_attr_file(root / "x.txt", ["a.jpg"], [[2] * 40])
    with pytest.raises(ValueError, match="partition"):
        celeba.write_partition_file(root / "y.txt", ["a.jpg"], [5])
