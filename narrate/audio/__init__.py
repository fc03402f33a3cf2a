"""Audio wing: immutable audio values, stitching, loudness, MP3 export with ID3 tags, frame splicing, checks."""
