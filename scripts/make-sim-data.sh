#!/bin/sh
# Generates the simulation output lmarc's typed-array benchmarks use
# (docs/array.md, "Results"), as ../shared/corpus/README.md describes:
#   DIR/lammps   Lennard-Jones melt, 12^3 fcc cells, 11 binary dumps of
#                id type x y z vx vy vz fx fy fz c_pe (float64 columns)
#   DIR/cavity   OpenFOAM icoFoam lid-driven cavity, 96x96 cells, binary
#                fields U p phi at t = 0.1 ... 0.5 and the binary mesh
# Needs: apt-get install lammps lammps-examples openfoam openfoam-examples
set -eu
dir=${1:?usage: scripts/make-sim-data.sh DIR}
mkdir -p "$dir/lammps"
cd "$dir/lammps"
sed -e 's/region\t\tbox block 0 10 0 10 0 10/region\t\tbox block 0 12 0 12 0 12/' \
    -e 's/^run\t\t250/compute pe all pe\/atom\ndump 1 all custom 100 melt.*.bin id type x y z vx vy vz fx fy fz c_pe\ndump_modify 1 sort id\nrun 1000/' \
    /usr/share/lammps/examples/melt/in.melt >in.melt
lmp -in in.melt >lmp.log
rm -f log.lammps lmp.log in.melt
cd "$dir"
cp -r /usr/share/doc/openfoam-examples/examples/incompressible/icoFoam/cavity/cavity cavity
cd cavity
sed -i 's/(20 20 1)/(96 96 1)/' system/blockMeshDict
sed -i -e 's/^writeFormat     ascii;/writeFormat     binary;/' -e 's/^deltaT          0.005;/deltaT          0.001;/' \
       -e 's/^writeInterval   20;/writeInterval   100;/' system/controlDict
bash -c '. /usr/share/openfoam/etc/bashrc; blockMesh; icoFoam' >of.log 2>&1
rm -f of.log
