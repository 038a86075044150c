"""Calibration transfer in the window: a trained branch moved to a second instrument (DS, PDS
or slope/bias correction, engine.transfer). The slow work and texts are Qt-free (jobs); the
view picks the branch, the transfer set's two files, the method and the standards, shows the
spectra and predictions before and after, and saves the transferred model as a project."""
