mod cryptopan;
mod decay;
mod kanon;
mod warninglist;
